/**
 * Training curves of a table: mAP50-95 of the validation split at each evaluation of a run (its
 * results.csv), mean ± standard deviation over the seeds, one line per trained variant, against the
 * optimizer step. {@link runRows} reads the runs' results.csv; the rest is pure (the session renders SVG / PNG).
 * @module
 */
import type { EpochRow } from "../train/types.ts";
import type { ErrorBarPlot } from "../viz/measure_plot.ts";
import { summarize } from "../stats/stats.ts";
import type { TableResult } from "./results.ts";
import { parseResultsCsv } from "../train/run_files.ts";
import { jobDir } from "./runner.ts";

/** The curves plot of `t` from the per-epoch rows of its runs (by run key); `stepsPerEpoch` scales the x axis. */
export function trainingCurves(
  t: TableResult,
  rowsByKey: ReadonlyMap<string, readonly EpochRow[]>,
  stepsPerEpoch: number,
): ErrorBarPlot {
  const series = [];
  for (const v of t.variants) {
    const runs = v.runs.map((r) => rowsByKey.get(r.key)).filter((r): r is readonly EpochRow[] => !!r?.length);
    if (!runs.length) continue;
    const epochs = [...new Set(runs.flatMap((rows) => rows.map((r) => r.epoch)))].sort((a, b) => a - b);
    const stats = epochs.map((e) =>
      summarize(runs.map((rows) => 100 * (rows.find((r) => r.epoch === e)?.["metrics/mAP_0.5:0.95"] ?? NaN)))
    );
    series.push({
      name: `${v.variant.id} (${runs.length})`,
      x: epochs.map((e) => (e + 1) * stepsPerEpoch),
      y: stats.map((s) => s.mean),
      err: stats.map((s) => s.std),
    });
  }
  return {
    title: `${t.ablation.title.split(" — ")[0]}: validation mAP50-95 during training`,
    xLabel: "optimizer step",
    yLabel: "mAP50-95 (%), mean ± std over seeds",
    series,
  };
}

/** The per-epoch rows (results.csv) of a table's runs that have them, by run key. */
export async function runRows(out: string, t: TableResult): Promise<Map<string, EpochRow[]>> {
  const rows = new Map<string, EpochRow[]>();
  for (const r of t.variants.flatMap((v) => v.runs)) {
    const text = await Deno.readTextFile(`${jobDir(out, r.key)}/results.csv`).catch(() => "");
    if (text) rows.set(r.key, parseResultsCsv(text));
  }
  return rows;
}
