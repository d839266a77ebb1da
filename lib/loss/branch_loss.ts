/**
 * The three loss terms of one head branch given its assignment: BCE class loss, CIoU box loss and
 * Distribution Focal Loss, each divided by S = max(sum of target scores, 1), before gains.
 *
 * Mirrors `ComputeLoss.__call__` and `BboxLoss` of `utils/loss_tal.py` (reference spec §4.1 steps 6-9).
 * Everything that depends on the assignment is built as a constant (plain arrays -> tensors) and the
 * per-anchor selections of the reference (`masked_select`) are replaced by multiplying every anchor's
 * term with its weight (0 for background), so that only differentiable ops without gather sit between
 * the predictions and the loss (gradients work on the cpu and wasm backends).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Anchors } from "../head/anchors.ts";
import { bboxIou } from "./bbox_iou.ts";
import type { Assignment } from "./tal_assigner.ts";

/** Sum of all elements, one axis at a time from the last (shorter float32 accumulation chains than one flat sum). */
function sumAll(t: tf.Tensor): tf.Scalar {
  let r = t;
  while (r.rank > 0) r = tf.sum(r, -1);
  return r as tf.Scalar;
}

/** The differentiable per-anchor views of one branch's predictions, [B, A, ...]. */
export interface BranchPrediction {
  /** [B, A, 4*regMax] box distribution logits. */
  distri: tf.Tensor3D;
  /** [B, A, nc] class logits. */
  logits: tf.Tensor3D;
  /** [B, A, 4] decoded boxes, xyxy in grid units of each anchor's level. */
  boxes: tf.Tensor3D;
}

/** The loss terms of one branch (scalars, before gains) and plain statistics of its assignment. */
export interface BranchTerms {
  box: tf.Scalar;
  cls: tf.Scalar;
  dfl: tf.Scalar;
  /** Number of foreground anchors. */
  fg: number;
  /** S = max(sum of target scores, 1). */
  scoreSum: number;
}

/** Options of {@link branchLoss}. */
export interface BranchLossOptions {
  /** Anchor points (grid units) and strides of the A anchors. */
  anchors: Anchors;
  /** Bins per side (16); DFL targets are clamped to regMax - 1 - 0.01. */
  regMax?: number;
}

/**
 * Per-anchor weight = the sum of its target scores (0 for background), and S = max(sum of all, 1): the
 * weights of the box and DFL terms and the divisor of all three.
 */
export function anchorWeights(targetScores: Float32Array, nc: number): { weight: Float32Array; scoreSum: number } {
  const n = targetScores.length / nc;
  const weight = new Float32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < nc; c++) s += targetScores[i * nc + c];
    weight[i] = s;
    total += s;
  }
  return { weight, scoreSum: Math.max(total, 1) };
}

/**
 * DFL target of one side distance `d` (grid units): clamped to [0, regMax - 1 - 0.01], its left bin
 * and that bin's weight (the right bin gets 1 - wl), in float32 as the reference's `bbox2dist`.
 */
export function dflTarget(d: number, regMax: number): { left: number; wl: number } {
  const t = Math.min(Math.max(d, 0), Math.fround(regMax - 1 - 0.01));
  const left = Math.trunc(t);
  return { left, wl: Math.fround(left + 1 - t) };
}

/**
 * Class, box and DFL terms of one branch for a given (constant) assignment. Mirrors the per-branch part
 * of `utils/loss_tal.py` `ComputeLoss.__call__` with `BboxLoss(reg_max - 1, use_dfl=True)`.
 */
export function branchLoss(
  pred: BranchPrediction,
  assignment: Assignment,
  opts: BranchLossOptions,
): BranchTerms {
  const { anchors } = opts;
  const regMax = opts.regMax ?? 16;
  const [b, a, nc] = pred.logits.shape;
  if (assignment.targetScores.length !== b * a * nc || anchors.count !== a) {
    throw new RangeError(
      `Cannot compute branch loss: predictions [${b}, ${a}, ${nc}] do not match the assignment / anchors`,
    );
  }
  const { targetScores, targetBboxes, fgMask } = assignment;
  const f = Math.fround;
  const { weight, scoreSum } = anchorWeights(targetScores, nc);
  const fg = fgMask.reduce((n, v) => n + v, 0);
  return tf.tidy(() => {
    const tScores = tf.tensor3d(targetScores, [b, a, nc]);
    const bce = tf.sub(tf.softplus(pred.logits), tf.mul(pred.logits, tScores));
    const cls = tf.div(sumAll(bce), scoreSum) as tf.Scalar;
    if (fg === 0) return { box: tf.scalar(0), cls, dfl: tf.scalar(0), fg, scoreSum };
    // Targets in grid units; DFL bin weights folded with the anchor weight and the mean over 4 sides.
    const gridBoxes = new Float32Array(b * a * 4);
    const bins = new Float32Array(b * a * 4 * regMax);
    for (let i = 0; i < b * a; i++) {
      const anc = i % a;
      const stride = anchors.strides[anc];
      for (let k = 0; k < 4; k++) gridBoxes[4 * i + k] = f(targetBboxes[4 * i + k] / stride);
      if (!fgMask[i]) continue;
      const [px, py] = [anchors.points[2 * anc], anchors.points[2 * anc + 1]];
      const g = gridBoxes.subarray(4 * i, 4 * i + 4);
      const dists = [f(px - g[0]), f(py - g[1]), f(g[2] - px), f(g[3] - py)];
      dists.forEach((d, k) => {
        const { left, wl } = dflTarget(d, regMax);
        const base = (4 * i + k) * regMax;
        bins[base + left] += wl * weight[i] / 4;
        bins[base + left + 1] += f(1 - wl) * weight[i] / 4;
      });
    }
    const w = tf.tensor2d(weight, [b, a]);
    const ciou = bboxIou(pred.boxes, tf.tensor3d(gridBoxes, [b, a, 4]), { kind: "ciou" });
    const box = tf.div(sumAll(tf.mul(tf.sub(1, ciou), w)), scoreSum) as tf.Scalar;
    const logp = tf.logSoftmax(tf.reshape(pred.distri, [b, a, 4, regMax]));
    const dfl = tf.div(
      tf.neg(sumAll(tf.mul(logp, tf.tensor4d(bins, [b, a, 4, regMax])))),
      scoreSum,
    ) as tf.Scalar;
    return { box, cls, dfl, fg, scoreSum };
  });
}
