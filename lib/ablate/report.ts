/**
 * Text outputs of the ablation: per table `results.md` (counts at 640 against the paper's columns, our
 * CPU-scale metrics beside the paper's, the ordering check, the interpretation notes), `results.csv`
 * (one row per variant) and `runs.csv` (one row per run). Pure string functions.
 * @module
 */
import type { Preset } from "./presets.ts";
import { METRIC_TITLES } from "./spec.ts";
import type { TableResult, VariantResult } from "./results.ts";
import type { Summary } from "../stats/stats.ts";

/** One line of `sessions.jsonl`: when a session ran, for how long, and what it trained. */
export interface SessionLog {
  date: string;
  preset: string;
  tables: string[];
  wallSeconds: number;
  trained: number;
  skipped: number;
  failed: number;
}

/**
 * What a session ran with (printed at the top of every report): the preset's settings as used (seeds,
 * epochs and jobs may come from flags), the data and the backend.
 */
export interface SessionInfo extends
  Pick<Preset, "description" | "seeds" | "epochs" | "batch" | "img" | "scale" | "hyp" | "closeMosaic" | "nbs" | "noval" | "jobs"> {
  preset: string;
  data: string;
  backend: string;
  /** APS/APM/APL bucket rule. */
  areaRule: string;
  /** Lowest confidence kept for the COCO evaluation. */
  conf?: number;
  wallSeconds?: number;
  /** Earlier sessions of the same output folder (from sessions.jsonl), oldest first. */
  history?: SessionLog[];
  trained?: number;
  skipped?: number;
  failed?: number;
}

const f1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(1));
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–");
const sgn = (x: number) => (x > 0 ? `+${x.toFixed(1)}` : x.toFixed(1));

/** `12.34 ± 0.56 (n)` or `–`. */
export function formatSummary(s: Summary): string {
  if (!s.n) return "–";
  return s.n > 1 ? `${f2(s.mean)} ± ${f2(s.std)}` : `${f2(s.mean)} (1 seed)`;
}

/** The settings block of a session. */
export function settingsMarkdown(s: SessionInfo): string {
  const sc = s.scale;
  const hyp = Object.entries(s.hyp).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
  return [
    `- Preset **${s.preset}**: ${s.description}.`,
    `- Seeds ${
      s.seeds.join(", ")
    }; ${s.epochs} epochs, batch ${s.batch}, ${s.img} x ${s.img} images, close-mosaic ${s.closeMosaic}, nominal batch ${s.nbs}${s.noval ? ", validation after the last epoch only (--noval)" : ""}; data \`${s.data}\`.`,
    `- One scaling rule for every variant: every channel argument x ${+sc.width.toFixed(
      4,
    )} rounded up to a multiple of ${sc.divisor ?? 8}; D_CSP x ${
      sc.depth ?? 1
    }; D_ELAN and the layer graph unchanged.`,
    `- Hyperparameters: hyp.scratch-high with ${hyp}. Backend ${s.backend}, ${s.jobs} job(s) in parallel.`,
    `- APS/APM/APL: ${
      s.areaRule === "coco"
        ? "COCO's areas (32², 96² px)"
        : "terciles of the validation boxes' areas (COCO's 32²/96² px thresholds are meant for 640 px photos)"
    }.`,
    `- COCO AP of each run's best weights on the validation split, predictions down to confidence ${
      s.conf ?? 1e-5
    } (the official 0.001 hides every box of a briefly trained model: class scores start near 1e-4).`,
    `- A difference smaller than the spread (the larger seed standard deviation) is a tie; 'clear' means more than twice the spread.`,
  ].join("\n");
}

function countCell(v: VariantResult, k: "params" | "gflops"): [string, string] {
  const c = v.checks[k];
  if (!c) {
    return [
      f1(v.variant.paper[k]),
      v.counts
        ? (k === "params"
          ? (v.counts.inference.params_fused / 1e6).toFixed(2)
          : v.counts.inference.gflops_fused.toFixed(2))
        : "–",
    ];
  }
  return [
    f1(c.paper),
    `${k === "params" ? c.ours.toFixed(2) : c.ours.toFixed(2)}${c.match ? " ✓" : ` ✗ (${sgn(c.diff)})`}`,
  ];
}

/** The `results.md` of one table. */
export function resultsMarkdown(t: TableResult, s: SessionInfo, plot?: string): string {
  const a = t.ablation;
  const out: string[] = [`# ${a.title}`, "", a.caption, "", settingsMarkdown(s), ""];
  out.push(
    `**Paper ordering (AP):** ${t.verdict.holds} — confidence ${t.verdict.confidence}: ${t.verdict.line}.`,
    "",
  );
  // Counts.
  out.push("## Model size at 640 x 640 (inference model, fused; nc 80)", "");
  out.push(
    "| variant | paper #Param. (M) | ours (M) | paper FLOPs (G) | ours (G) | training model (M / G) | inference = base GELAN |",
  );
  out.push("|---|---|---|---|---|---|---|");
  for (const v of t.variants) {
    const [pp, op] = countCell(v, "params");
    const [pg, og] = countCell(v, "gflops");
    const train = v.counts
      ? `${(v.counts.train.params / 1e6).toFixed(2)} / ${v.counts.train.gflops.toFixed(1)}${
        v.counts.branches > 1 ? ` (${v.counts.branches} head branches)` : ""
      }`
      : "–";
    const main = v.main
      ? (v.main.ok
        ? "✓"
        : `✗ (${(v.main.ours.params_fused / 1e6).toFixed(2)}M vs ${
          (v.main.expected.params_fused / 1e6).toFixed(2)
        }M)`)
      : "";
    out.push(`| ${v.variant.label} | ${pp} | ${op} | ${pg} | ${og} | ${train} | ${main} |`);
  }
  out.push(
    "",
    t.countRows
      ? `${t.countRows - t.countMismatches}/${t.countRows} rows match the paper's printed #Param. and FLOPs.`
      : "The paper prints no #Param./FLOPs for this table.",
    "",
  );
  // Metrics.
  out.push(`## Accuracy: paper (COCO) and ours (CPU scale, mean ± std over seeds)`, "");
  const head = a.metrics.flatMap((m) => [`paper ${METRIC_TITLES[m]}`, `ours ${METRIC_TITLES[m]}`]);
  out.push(`| variant | ${head.join(" | ")} | CPU-scale model (M / GFLOPs at ${s.img}) | runs |`);
  out.push(`|---|${head.map(() => "---").join("|")}|---|---|`);
  for (const v of t.variants) {
    const cells = a.metrics.flatMap((m) => [f1(v.variant.paper[m]), formatSummary(v.metrics[m])]);
    const cpu = v.cpu ? `${(v.cpu.params / 1e6).toFixed(3)} / ${v.cpu.gflops.toFixed(3)}` : "–";
    const runs = v.runs.length
      ? v.runs.map((r) =>
        `[s${r.seed}](../_runs/${r.key}/)${
          r.record?.status === "failed" ? " failed" : r.record ? "" : " pending"
        }`
      ).join(" ")
      : "not trained";
    out.push(`| ${v.variant.label} | ${cells.join(" | ")} | ${cpu} | ${runs} |`);
  }
  out.push(
    "",
    "CPU-scale model: the training model with the dataset's classes. DDetect's box branch keeps at least 4 x reg_max = 64 channels at any width, so at small widths the head dominates and the variants differ less in size than at 640.",
  );
  if (plot) out.push("", `![${a.title}](${plot})`);
  // Ordering.
  out.push("", "## Ordering check (AP, pairs within a group)", "");
  for (const g of t.groups) {
    if (!g.pairs.length) continue;
    out.push(`**${g.group}** — best: paper ${g.paperBest ?? "–"}, ours ${g.oursBest ?? "–"}.`, "");
    out.push("| pair | paper Δ | ours Δ | spread | outcome |", "|---|---|---|---|---|");
    for (const p of g.pairs) {
      out.push(
        `| ${p.a} vs ${p.b} | ${sgn(p.paperDiff)} | ${f2(p.ours.diff)} | ${f2(p.ours.spread)} | ${p.outcome}${
          p.ours.clear ? " (clear)" : ""
        } |`,
      );
    }
    out.push("");
  }
  const failed = t.variants.flatMap((v) =>
    v.runs.filter((r) => r.record?.status === "failed").map((r) =>
      `- ${v.variant.id} seed ${r.seed}: ${r.record!.error}`
    )
  );
  if (failed.length) out.push("## Failed runs", "", ...failed, "");
  out.push("## How the variants were built", "", ...a.notes.map((n) => `- ${n}`));
  for (const v of t.variants) if (v.variant.note) out.push(`- ${v.variant.label}: ${v.variant.note}`);
  return out.join("\n") + "\n";
}
