/**
 * Golden handler for the COCO mAP case (pycocotools COCOeval, iouType 'bbox'): evaluates the sidecar's
 * `gt_file` / `dt_file` and compares the 12 summary stats, the per-category AP@[.50:.95] (sidecar and, when
 * present, the case's safetensors) and the printed summary lines.
 * @module
 */
import { readSafetensors } from "../io/safetensors.ts";
import { type CaseReport, check, type TensorCheck } from "./types.ts";
import { readCocoGroundTruth } from "../eval/coco_data.ts";
import { readCocoResults } from "../eval/coco_results.ts";
import { cocoEvaluate } from "../eval/coco_summary.ts";

const TOL = 1e-12;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Run a `coco_map` golden case described by its sidecar JSON (stem `<stem>.json` in `dir`). */
export async function runCocoCase(
  dir: string,
  stem: string,
  sidecar: Record<string, unknown>,
  _opts: { backend?: string } = {},
): Promise<CaseReport> {
  for (const key of ["gt_file", "dt_file"]) {
    if (typeof sidecar[key] !== "string") {
      throw new Error(`${dir}/${stem}.json: expected a string "${key}", got ${JSON.stringify(sidecar[key])}`);
    }
  }
  const gt = await readCocoGroundTruth(`${dir}/${sidecar.gt_file}`);
  const dt = await readCocoResults(gt, `${dir}/${sidecar.dt_file}`);
  const t0 = performance.now();
  const rep = cocoEvaluate(gt, dt);
  const ms = performance.now() - t0;
  const checks: TensorCheck[] = [];
  const warn = rep.warnings.length ? `; warnings: ${rep.warnings.join("; ")}` : "";
  if (Array.isArray(sidecar.stats)) {
    checks.push(
      check(
        "stats",
        maxAbsDiff(rep.stats, sidecar.stats as number[]),
        TOL,
        `12 stats, max |diff| (${ms.toFixed(0)} ms)${warn}`,
      ),
    );
  }
  const perCat = sidecar.per_category_AP_50_95;
  if (perCat && typeof perCat === "object") {
    const ids = Object.keys(perCat).map(Number);
    const got = ids.map((id) => rep.perCategoryAP.get(id) ?? NaN);
    const want = ids.map((id) => (perCat as Record<string, number>)[String(id)]);
    checks.push(check("per_category_AP_50_95 (json)", maxAbsDiff(got, want), TOL));
  }
  const stFile = typeof sidecar.safetensors === "string" ? `${dir}/${sidecar.safetensors}` : null;
  if (stFile) {
    const { tensors } = await readSafetensors(stFile);
    const stats = tensors.get("stats");
    if (stats) {
      checks.push(check("stats (safetensors)", maxAbsDiff(rep.stats, stats.data as Float64Array), TOL));
    }
    const ids = tensors.get("category_ids"), ap = tensors.get("per_category_AP_50_95");
    if (ids && ap) {
      const got = Array.from(
        ids.data as ArrayLike<number | bigint>,
        (id) => rep.perCategoryAP.get(Number(id)) ?? NaN,
      );
      checks.push(check("per_category_AP_50_95", maxAbsDiff(got, ap.data as Float64Array), TOL));
    }
  }
  const printed = Array.isArray(sidecar.summary_stdout)
    ? (sidecar.summary_stdout as string[]).filter((l) => l.startsWith(" Average"))
    : [];
  if (printed.length) {
    const bad = printed.filter((l, i) => rep.lines[i] !== l).length;
    checks.push(
      check(
        "summary lines",
        bad,
        0,
        bad
          ? `first: ${JSON.stringify(rep.lines[printed.findIndex((l, i) => rep.lines[i] !== l)])}`
          : "12 lines identical",
      ),
    );
  }
  return { case: String(sidecar.case ?? "coco_map"), stem, checks };
}
