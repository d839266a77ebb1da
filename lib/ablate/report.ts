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
import { HYP_SCRATCH_HIGH, HYP_SCRATCH_P5 } from "../data/hyp.ts";
import { batchesPerEpoch } from "./plan.ts";

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
  Pick<
    Preset,
    | "description"
    | "seeds"
    | "batch"
    | "img"
    | "scale"
    | "hyp"
    | "yolov7Gains"
    | "closeMosaic"
    | "nbs"
    | "noval"
    | "jobs"
    | "variants"
  > {
  preset: string;
  epochs: number;
  /** Optimizer steps of every run (epochs x batches per epoch). */
  steps: number;
  /** Tables with their own run length (`Ablation.steps`): steps by table name. */
  tableSteps?: Record<string, number>;
  trainImages: number;
  valImages: number;
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
  /** Runs of the plan not finished at the time limit (`--max-minutes`): the next session trains them. */
  pending?: number;
}

const f1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(1));
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–");
const sgn = (x: number) => (x > 0 ? `+${x.toFixed(1)}` : x.toFixed(1));

/** `12.34 ± 0.56 (n)` or `–`. */
export function formatSummary(s: Summary): string {
  if (!s.n) return "–";
  return s.n > 1 ? `${f2(s.mean)} ± ${f2(s.std)}` : `${f2(s.mean)} (1 seed)`;
}

/** `key value (official v)` for each override, the official value taken from `table` where it differs. */
function overrides(hyp: Record<string, number>, table: Record<string, number>): string {
  return Object.entries(hyp).map(([k, v]) =>
    `${k} ${v}${table[k] !== undefined && table[k] !== v ? ` (official ${table[k]})` : ""}`
  ).join(", ") || "none";
}

/** The settings block of a session. */
export function settingsMarkdown(s: SessionInfo): string {
  const sc = s.scale;
  const official = HYP_SCRATCH_HIGH as unknown as Record<string, number>;
  const hyp = overrides(s.hyp, official);
  const p5 = overrides(s.hyp, HYP_SCRATCH_P5 as unknown as Record<string, number>);
  const nb = batchesPerEpoch(s);
  const warm = Math.round((s.hyp.warmup_epochs ?? official.warmup_epochs) * nb);
  const own = Object.entries(s.tableSteps ?? {}).map(([t, n]) =>
    ` (${t}: ${n} steps = ${n / nb} epochs, its own length)`
  ).join("");
  return [
    `- Preset **${s.preset}**: ${s.description}.`,
    `- Seeds ${
      s.seeds.join(", ")
    }; every run ${s.steps} optimizer steps = ${s.epochs} epochs${own} of ${s.trainImages} distinct training images (evaluated on ${s.valImages} validation images after each epoch), batch ${s.batch}, ${s.img} x ${s.img} images, close-mosaic ${s.closeMosaic}, nominal batch ${s.nbs}${
      s.noval ? ", validation after the last epoch only (--noval)" : ""
    }; data \`${s.data}\`.`,
    `- One scaling rule for every variant: every channel argument x ${+sc.width.toFixed(
      4,
    )} rounded up to a multiple of ${sc.divisor ?? 8}; D_CSP x ${
      sc.depth ?? 1
    }; D_ELAN and the layer graph unchanged.`,
    `- Hyperparameters: hyp.scratch-high with ${hyp}; the anchor-based YOLOv7 trains with its own hyp.scratch.p5 (ComputeLossOTA's box ${HYP_SCRATCH_P5.box}, cls ${HYP_SCRATCH_P5.cls}, obj ${HYP_SCRATCH_P5.obj}, anchor_t ${HYP_SCRATCH_P5.anchor_t}) under the same overrides: ${p5}${
      s.yolov7Gains
        ? `; its class and objectness gains act at ${s.yolov7Gains.cls} and ${s.yolov7Gains.obj} after train.py's rescaling by nc / 80 and (img / 640)² (official: the rescaling applies to ${HYP_SCRATCH_P5.cls} and ${HYP_SCRATCH_P5.obj}, so at ${s.img} px objectness acts at ${+(HYP_SCRATCH_P5.obj * (s.img / 640) ** 2).toPrecision(3)}; chosen by a sweep, experiments/table6.ts)`
        : ""
    }. Warm-up: ${
      Math.max(warm, 100)
    } steps${
      warm < 100 ? ` (the official floor of 100 iterations applies; ${warm} asked)` : ""
    }. Departures from the official recipe (Sec. 5.1: 500 epochs at 640 px, batch 128 at nominal batch 64): the run length, the image size, the nominal batch ${s.nbs}, and every "(official ...)" value above. Backend ${s.backend}, ${s.jobs} job(s) in parallel.`,
    `- APS/APM/APL: ${
      s.areaRule === "coco"
        ? "COCO's areas (32², 96² px)"
        : "terciles of the validation boxes' areas (COCO's 32²/96² px thresholds are meant for 640 px photos)"
    }.`,
    `- COCO AP of each run's best weights on the validation split, predictions down to confidence ${
      s.conf ?? 1e-5
    } (the official 0.001 hides every box of a briefly trained model: class scores start near 1e-4).`,
    `- Verdicts are paired: the same seed gives every variant the same data order and augmentation draws; a pair the paper orders holds or is reversed when the 95 % t interval of the mean per-seed difference excludes 0, and is a tie otherwise.`,
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
export function resultsMarkdown(
  t: TableResult,
  s: SessionInfo,
  plots: { bars?: string; curves?: string } = {},
): string {
  const a = t.ablation;
  const out: string[] = [`# ${a.title}`, "", a.caption, "", settingsMarkdown(s), ""];
  out.push(`**Paper ordering (AP):** ${t.verdict.summary} — ${t.verdict.line}.`, "");
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
      : s.variants === "all"
      ? "not trained"
      : "full only";
    out.push(`| ${v.variant.label} | ${cells.join(" | ")} | ${cpu} | ${runs} |`);
  }
  out.push(
    "",
    "CPU-scale model: the training model with the dataset's classes. DDetect's box branch keeps at least 4 x reg_max = 64 channels at any width, so at small widths the head dominates and the variants differ less in size than at 640.",
  );
  if (plots.bars) out.push("", `![${a.title}](${plots.bars})`);
  if (plots.curves) {
    out.push(
      "",
      "Validation mAP50-95 at each evaluation (mean ± std over seeds; [SVG](curves.svg)):",
      "",
      `![training curves](${plots.curves})`,
    );
  }
  // Ordering.
  out.push("", "## Ordering check (AP, pairs the paper orders within a group)", "");
  out.push(
    "Per seed, the better variant (by the paper) minus the other; with the same seed both saw the same batches and augmentations. " +
      "The pair holds (or is reversed) when the 95 % t interval of the mean paired difference excludes 0; otherwise it is a tie.",
    "",
  );
  for (const g of t.groups) {
    if (!g.pairs.length) continue;
    out.push(`**${g.group}** — best: paper ${g.paperBest ?? "–"}, ours ${g.oursBest ?? "–"}.`, "");
    out.push(
      "| pair (paper: first > second) | paper Δ | ours Δ (mean, 95 % interval) | per seed | seeds | outcome |",
      "|---|---|---|---|---|---|",
    );
    for (const p of g.pairs) {
      const d = p.diff;
      const iv = d.n > 1 ? `${f2(d.mean)} [${f2(d.lo)}, ${f2(d.hi)}]` : d.n ? `${f2(d.mean)} (1 seed)` : "–";
      out.push(
        `| ${p.better} vs ${p.worse} | +${p.paperDiff.toFixed(1)} | ${iv} | ${
          d.diffs.map(f2).join(", ") || "–"
        } | ${d.n} | ${p.outcome} |`,
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
