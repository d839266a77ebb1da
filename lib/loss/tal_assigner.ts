/**
 * Task-aligned assigner (TOOD's TAL, as used by YOLOv9's loss) on plain arrays, without gradient.
 *
 * Mirrors `TaskAlignedAssigner` of the official `utils/tal/assigner.py` (reference spec §4.1 step 5):
 * alignment metric `t = s^alpha * max(CIoU(gt, pred), 0)^beta`; candidates are anchors whose centre lies
 * strictly inside the gt (`select_candidates_in_gts`, margin > eps); the `topk` candidates of each valid gt
 * by metric are positives; an anchor claimed by several gts keeps the gt of highest overlap over **all**
 * gt rows (`select_highest_overlaps`); targets are the assigned gt's label / box and a one-hot score
 * scaled by `t * maxIoU_g / (maxT_g + eps)`. Background anchors get the label and box of gt row 0
 * (argmax of an all-zero column), as in the reference. With `nMax = 0` the early-return path fills
 * labels with `numClasses` and everything else with zeros.
 *
 * Ties: the reference's `torch.topk` order among equal metrics is unspecified; here candidates are
 * ranked by metric, then by lower anchor index. Only zero-metric candidates can tie in practice, and
 * those get a zero target score, so the loss does not depend on the choice.
 * @module
 */
import { bboxIouPlain } from "./bbox_iou.ts";

/** Inputs of {@link assignTargets}: one batch, row-major flat arrays. */
export interface AssignerInput {
  /** Batch size bs. */
  batch: number;
  /** Anchors per image A. */
  numAnchors: number;
  /** Padded number of gt rows per image n_max (0 allowed). */
  nMax: number;
  /** (bs, A, nc) predicted class probabilities (already sigmoid). */
  pdScores: ArrayLike<number>;
  /** (bs, A, 4) predicted boxes, xyxy pixels. */
  pdBboxes: ArrayLike<number>;
  /** (A, 2) anchor centres (x, y) in pixels. */
  ancPoints: ArrayLike<number>;
  /** (bs, n_max) class ids (floats allowed; truncated like `.long()`); padding rows 0. */
  gtLabels: ArrayLike<number>;
  /** (bs, n_max, 4) gt boxes, xyxy pixels; padding rows 0. */
  gtBboxes: ArrayLike<number>;
  /** (bs, n_max) 1 = valid gt, 0 = padding. */
  maskGt: ArrayLike<number>;
}

/** Hyperparameters of {@link assignTargets}; defaults are the YOLOv9 loss settings. */
export interface AssignerOptions {
  /** Number of classes nc (also the background label of the early-return path). */
  numClasses: number;
  /** Positives per gt (10). */
  topk?: number;
  /** Exponent of the class score (0.5). */
  alpha?: number;
  /** Exponent of the CIoU (6.0). */
  beta?: number;
  /** eps of the inside test and of the normalisation (1e-9). */
  eps?: number;
}

/** Outputs of {@link assignTargets}, row-major flat arrays. */
export interface Assignment {
  /** (bs, A) assigned class id (gt row 0's label for background; numClasses in the n_max = 0 path). */
  targetLabels: Int32Array;
  /** (bs, A, 4) assigned gt box, xyxy pixels. */
  targetBboxes: Float32Array;
  /** (bs, A, nc) one-hot * normalised alignment metric; 0 for background. */
  targetScores: Float32Array;
  /** (bs, A) 1 = foreground anchor. */
  fgMask: Uint8Array;
}

function checkLength(name: string, arr: ArrayLike<number>, expected: number): void {
  if (arr.length !== expected) {
    throw new RangeError(`Cannot assign targets: ${name} has ${arr.length} values, expected ${expected}`);
  }
}

/**
 * Assign ground-truth boxes to anchors (task-aligned assignment). Mirrors
 * `TaskAlignedAssigner.forward` of `utils/tal/assigner.py`; computed in float64, returned as float32.
 */
export function assignTargets(input: AssignerInput, opts: AssignerOptions): Assignment {
  const { batch: bs, numAnchors: na, nMax } = input;
  const { numClasses: nc, topk = 10, alpha = 0.5, beta = 6.0, eps = 1e-9 } = opts;
  checkLength("pdScores", input.pdScores, bs * na * nc);
  checkLength("pdBboxes", input.pdBboxes, bs * na * 4);
  checkLength("ancPoints", input.ancPoints, na * 2);
  checkLength("gtLabels", input.gtLabels, bs * nMax);
  checkLength("gtBboxes", input.gtBboxes, bs * nMax * 4);
  checkLength("maskGt", input.maskGt, bs * nMax);
  const out: Assignment = {
    targetLabels: new Int32Array(bs * na),
    targetBboxes: new Float32Array(bs * na * 4),
    targetScores: new Float32Array(bs * na * nc),
    fgMask: new Uint8Array(bs * na),
  };
  if (nMax === 0) {
    out.targetLabels.fill(nc);
    return out;
  }
  const { pdScores, pdBboxes, ancPoints, gtBboxes } = input;
  const labels = Array.from(input.gtLabels, (l) => Math.trunc(l));
  for (let i = 0; i < labels.length; i++) {
    if (!(labels[i] >= 0 && labels[i] < nc)) {
      throw new RangeError(
        `Cannot assign targets: gt label ${input.gtLabels[i]} at row ${i} is outside [0, ${nc})`,
      );
    }
  }
  const assigned = new Int32Array(na); // gt row per anchor, -1 = none
  const claims = new Int32Array(na);
  for (let b = 0; b < bs; b++) {
    const gtRow = (g: number) => b * nMax + g;
    const overlap = (g: number, a: number) =>
      Math.max(
        bboxIouPlain(gtBboxes, pdBboxes, { kind: "ciou", offset1: 4 * gtRow(g), offset2: 4 * (b * na + a) }),
        0,
      );
    const metric = (g: number, a: number, ov: number) =>
      Math.pow(pdScores[(b * na + a) * nc + labels[gtRow(g)]], alpha) * Math.pow(ov, beta);
    assigned.fill(-1);
    claims.fill(0);
    // Candidates inside each valid gt, ranked by alignment metric; the top-k become positives.
    for (let g = 0; g < nMax; g++) {
      if (!(input.maskGt[gtRow(g)] > 0)) continue;
      const o = 4 * gtRow(g);
      const cands: { a: number; m: number }[] = [];
      for (let a = 0; a < na; a++) {
        const x = ancPoints[2 * a], y = ancPoints[2 * a + 1];
        const margin = Math.min(
          x - gtBboxes[o],
          y - gtBboxes[o + 1],
          gtBboxes[o + 2] - x,
          gtBboxes[o + 3] - y,
        );
        if (margin > eps) cands.push({ a, m: metric(g, a, overlap(g, a)) });
      }
      cands.sort((p, q) => q.m - p.m || p.a - q.a);
      for (const { a } of cands.slice(0, topk)) {
        claims[a]++;
        assigned[a] = g;
      }
    }
    // Anchors claimed by several gts keep the gt of highest overlap among all rows (first on ties).
    for (let a = 0; a < na; a++) {
      if (claims[a] <= 1) continue;
      let best = 0, bestOv = -Infinity;
      for (let g = 0; g < nMax; g++) {
        const ov = overlap(g, a);
        if (ov > bestOv) [best, bestOv] = [g, ov];
      }
      assigned[a] = best;
    }
    // Per-gt maxima of metric and overlap over its final positives, then the normalised scores.
    const maxMetric = new Float64Array(nMax), maxOv = new Float64Array(nMax);
    const posMetric = new Float64Array(na);
    for (let a = 0; a < na; a++) {
      const g = assigned[a];
      if (g < 0) continue;
      const ov = overlap(g, a);
      posMetric[a] = metric(g, a, ov);
      maxMetric[g] = Math.max(maxMetric[g], posMetric[a]);
      maxOv[g] = Math.max(maxOv[g], ov);
    }
    for (let a = 0; a < na; a++) {
      const ba = b * na + a;
      const g = Math.max(assigned[a], 0);
      out.targetLabels[ba] = labels[gtRow(g)];
      for (let k = 0; k < 4; k++) out.targetBboxes[4 * ba + k] = gtBboxes[4 * gtRow(g) + k];
      if (assigned[a] < 0) continue;
      out.fgMask[ba] = 1;
      out.targetScores[ba * nc + labels[gtRow(g)]] = posMetric[a] * maxOv[g] / (maxMetric[g] + eps);
    }
  }
  return out;
}
