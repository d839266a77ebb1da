/**
 * COCO box statistics of one validation pass (the predictions and ground truth `validate` returns),
 * with the object-size buckets of APS/APM/APL either COCO's absolute areas (32², 96² px) or, by
 * default, the validation set's own area terciles: COCO's thresholds are meant for ~640 px photos and
 * leave buckets empty on small synthetic images, while terciles keep "smallest / middle / largest third
 * of the objects". Pure function.
 * @module
 */
import { cocoEvaluate } from "../eval/coco_summary.ts";
import { defaultCocoParams } from "../eval/coco_eval.ts";
import { parseCocoGroundTruth } from "../eval/coco_data.ts";
import { loadCocoResults } from "../eval/coco_results.ts";
import { cocoGroundTruth, type CocoPrediction, type GtImage } from "../infer/coco_export.ts";

/** How APS/APM/APL buckets are defined. */
export type AreaRule = "terciles" | "coco";

/** The 12 COCO numbers (fractions, -1 where a bucket is empty) and the area thresholds used. */
export interface CocoStats {
  stats: number[];
  /** [small/medium, medium/large] area thresholds in px². */
  areas: [number, number];
  rule: AreaRule;
}

function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Area thresholds: COCO's 32² / 96², or the terciles of the ground-truth box areas. */
export function areaThresholds(gt: readonly GtImage[], rule: AreaRule): [number, number] {
  if (rule === "coco") return [32 ** 2, 96 ** 2];
  const areas: number[] = [];
  for (const im of gt) {
    for (let i = 0; i + 5 <= im.labels.length; i += 5) {
      areas.push(im.labels[i + 3] * im.width * im.labels[i + 4] * im.height);
    }
  }
  areas.sort((a, b) => a - b);
  return [quantile(areas, 1 / 3), quantile(areas, 2 / 3)];
}

/**
 * COCO evaluation of `predictions` against `gt` (class names `names`). Without ground-truth boxes every
 * stat is -1; with boxes but no predictions every AP is 0.
 */
export function cocoStats(
  gt: readonly GtImage[],
  predictions: readonly CocoPrediction[],
  names: readonly string[],
  rule: AreaRule = "terciles",
): CocoStats {
  const areas = areaThresholds(gt, rule);
  const gtJson = cocoGroundTruth(gt, names);
  const nGt = (gtJson.annotations as unknown[]).length;
  if (!nGt) return { stats: new Array(12).fill(-1), areas, rule };
  if (!predictions.length) return { stats: new Array(12).fill(0), areas, rule };
  const g = parseCocoGroundTruth(gtJson, "<validation ground truth>", { allowEmptyBoxes: true });
  const dt = loadCocoResults(g, predictions as unknown[], "<validation predictions>");
  const params = defaultCocoParams();
  params.areaRng = [[0, 1e10], [0, areas[0]], [areas[0], areas[1]], [areas[1], 1e10]];
  return { stats: cocoEvaluate(g, dt, params).stats, areas, rule };
}
