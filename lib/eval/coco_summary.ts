/**
 * COCOeval.summarize for boxes (pycocotools/cocoeval.py `_summarize`/`_summarizeDets`): the 12 standard
 * numbers as NumPy computes them (mean of the valid entries in C order, pairwise summation) and the familiar
 * printed lines; plus per-category AP@[.50:.95] and a one-call {@link cocoEvaluate}.
 * @module
 */
import type { CocoGroundTruth, CocoResults } from "./coco_data.ts";
import {
  accumulateCoco,
  type CocoAccumulation,
  type CocoEvaluation,
  type CocoParams,
  defaultCocoParams,
  evaluateCoco,
} from "./coco_eval.ts";
import { formatFixed, npMean } from "./numpy_compat.ts";

/** Names of the 12 summary numbers, in pycocotools order. */
export const COCO_STAT_NAMES: readonly string[] = [
  "AP@[.50:.95] all maxDets=100",
  "AP@.50 all 100",
  "AP@.75 all 100",
  "AP small 100",
  "AP medium 100",
  "AP large 100",
  "AR all maxDets=1",
  "AR all 10",
  "AR all 100",
  "AR small 100",
  "AR medium 100",
  "AR large 100",
];

/** One `_summarize` call: mean of the valid precision (ap) or recall entries of a setting, -1 if none, and its line. */
export function summarizeOne(
  acc: CocoAccumulation,
  p: CocoParams,
  ap: boolean,
  iouThr: number | null = null,
  areaRng = "all",
  maxDets = 100,
): { value: number; line: string } {
  const [T, R, K, A, M] = acc.counts;
  const ts = iouThr === null
    ? [...Array(T).keys()]
    : [...p.iouThrs.keys()].filter((t) => p.iouThrs[t] === iouThr);
  const as = p.areaRngLbl.flatMap((l, i) => (l === areaRng ? [i] : []));
  const ms = p.maxDets.flatMap((m, i) => (m === maxDets ? [i] : []));
  const vals: number[] = [];
  // C order of s[t][r][k][a][m] (recall: s[t][k][a][m]) with a, m taken pairwise (NumPy fancy indexing)
  const n = Math.min(as.length, ms.length);
  for (const t of ts) {
    for (let r = 0; r < (ap ? R : 1); r++) {
      for (let k = 0; k < K; k++) {
        for (let j = 0; j < n; j++) {
          const v = ap
            ? acc.precision[(((t * R + r) * K + k) * A + as[j]) * M + ms[j]]
            : acc.recall[((t * K + k) * A + as[j]) * M + ms[j]];
          if (v > -1) vals.push(v);
        }
      }
    }
  }
  const value = vals.length === 0 ? -1 : npMean(vals);
  const title = ap ? "Average Precision" : "Average Recall";
  const iouStr = iouThr === null
    ? `${formatFixed(p.iouThrs[0], 2)}:${formatFixed(p.iouThrs[T - 1], 2)}`
    : formatFixed(iouThr, 2);
  const line =
    ` ${title.padEnd(18)} ${ap ? "(AP)" : "(AR)"} @[ IoU=${iouStr.padEnd(9)} | area=${
      areaRng.padStart(6)
    } | ` +
    `maxDets=${String(maxDets).padStart(3)} ] = ${formatFixed(value, 3)}`;
  return { value, line };
}

/** COCOeval.summarize for bbox: the 12 stats and the 12 printed lines. */
export function summarizeCoco(acc: CocoAccumulation, p: CocoParams): { stats: number[]; lines: string[] } {
  const md = p.maxDets;
  const calls: [boolean, number | null, string, number][] = [
    [true, null, "all", 100],
    [true, 0.5, "all", md[2]],
    [true, 0.75, "all", md[2]],
    [true, null, "small", md[2]],
    [true, null, "medium", md[2]],
    [true, null, "large", md[2]],
    [false, null, "all", md[0]],
    [false, null, "all", md[1]],
    [false, null, "all", md[2]],
    [false, null, "small", md[2]],
    [false, null, "medium", md[2]],
    [false, null, "large", md[2]],
  ];
  const res = calls.map(([ap, iou, area, m]) => summarizeOne(acc, p, ap, iou, area, m));
  return { stats: res.map((r) => r.value), lines: res.map((r) => r.line) };
}

/**
 * AP@[.50:.95] per category at area `all` and the largest maxDets: mean of the valid precision entries of
 * `precision[:, :, k, 0, -1]` (-1 for a category without ground truth).
 */
export function perCategoryAp(acc: CocoAccumulation, catIds: readonly number[]): Map<number, number> {
  const [T, R, K, A, M] = acc.counts;
  const out = new Map<number, number>();
  for (let k = 0; k < K; k++) {
    const vals: number[] = [];
    for (let t = 0; t < T; t++) {
      for (let r = 0; r < R; r++) {
        const v = acc.precision[(((t * R + r) * K + k) * A + 0) * M + (M - 1)];
        if (v > -1) vals.push(v);
      }
    }
    out.set(catIds[k] ?? -1, vals.length ? npMean(vals) : -1);
  }
  return out;
}

/** Everything a caller usually wants from one COCO evaluation. */
export interface CocoReport {
  stats: number[];
  lines: string[];
  perCategoryAP: Map<number, number>;
  evaluation: CocoEvaluation;
  accumulation: CocoAccumulation;
  warnings: string[];
}

/** evaluate + accumulate + summarize (pycocotools' usual three calls) on validated ground truth and results. */
export function cocoEvaluate(
  gt: CocoGroundTruth,
  dt: CocoResults,
  params: CocoParams = defaultCocoParams(),
): CocoReport {
  const evaluation = evaluateCoco(gt, dt, params);
  const accumulation = accumulateCoco(evaluation);
  const { stats, lines } = summarizeCoco(accumulation, evaluation.params);
  return {
    stats,
    lines,
    perCategoryAP: perCategoryAp(accumulation, evaluation.params.useCats ? evaluation.catIds : [-1]),
    evaluation,
    accumulation,
    warnings: [...gt.warnings, ...dt.warnings],
  };
}
