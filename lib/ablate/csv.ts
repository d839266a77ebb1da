/**
 * CSV outputs of an ablation table: `results.csv` (one row per variant, the paper's numbers beside
 * ours) and `runs.csv` (one row per run). Pure string functions.
 * @module
 */
import type { TableResult } from "./results.ts";

function csvCell(v: unknown): string {
  const s = typeof v === "number" ? (Number.isFinite(v) ? String(+v.toFixed(6)) : "") : String(v ?? "");
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** `results.csv`: one row per variant with the paper's numbers beside ours. */
export function resultsCsv(t: TableResult): string {
  const ms = t.ablation.metrics;
  const head = [
    "variant",
    "label",
    "group",
    "paper_params_M",
    "params_fused_M",
    "paper_gflops",
    "gflops_fused",
    "counts_match",
    ...ms.flatMap((m) => [`paper_${m}`, `${m}_mean`, `${m}_std`, `${m}_n`]),
  ];
  const rows = t.variants.map((v) => [
    v.variant.id,
    v.variant.label,
    v.variant.group,
    v.variant.paper.params,
    v.counts ? v.counts.inference.params_fused / 1e6 : "",
    v.variant.paper.gflops,
    v.counts?.inference.gflops_fused ?? "",
    v.checks.params || v.checks.gflops
      ? String(v.checks.params?.match !== false && v.checks.gflops?.match !== false)
      : "",
    ...ms.flatMap((m) => [v.variant.paper[m], v.metrics[m].mean, v.metrics[m].std, v.metrics[m].n]),
  ]);
  return [head, ...rows].map((r) => r.map(csvCell).join(",")).join("\n") + "\n";
}

/** `runs.csv`: one row per (variant, seed) run. */
export function runsCsv(t: TableResult): string {
  const head = [
    "variant",
    "seed",
    "key",
    "status",
    "ap",
    "ap50",
    "ap75",
    "aps",
    "apm",
    "apl",
    "map50",
    "map",
    "best_epoch",
    "seconds",
    "error",
  ];
  const rows = t.variants.flatMap((v) =>
    v.runs.map((r) => {
      const m = r.record?.metrics;
      return [
        v.variant.id,
        r.seed,
        r.key,
        r.record?.status ?? "pending",
        m?.ap,
        m?.ap50,
        m?.ap75,
        m?.aps,
        m?.apm,
        m?.apl,
        m?.map50,
        m?.map,
        m?.bestEpoch,
        r.record?.seconds,
        r.record?.error ?? "",
      ];
    })
  );
  return [head, ...rows].map((r) => r.map(csvCell).join(",")).join("\n") + "\n";
}
