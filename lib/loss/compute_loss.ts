/**
 * The YOLOv9 training loss for one, two or three head branches (GELAN, YOLOv9 with PGI's auxiliary
 * branch, triple heads), differentiable w.r.t. the raw head outputs on the cpu and wasm backends.
 *
 * Mirrors `ComputeLoss` of `utils/loss_tal.py` (one branch), `utils/loss_tal_dual.py` (two branches:
 * 0.25 * auxiliary + 1.0 * main, each branch with its own assignment; `ComputeLossLH` = lead-head guided:
 * every branch uses the main branch's assignment, paper Table 4 "LHG-ICN") and
 * `utils/loss_tal_triple.py` (0.25, 0.25, 1.0). Reference spec §4. The assigner runs on values read from
 * the predictions and enters the graph only as constants, so `tf.grad` / `tf.valueAndGrads` of `total`
 * w.r.t. the predictions is the reference's gradient. Where values cannot be read synchronously
 * (webgpu), {@link assignLoss} computes the assignments with awaited reads beforehand and
 * `computeLoss` takes them as {@link LossOptions.assignments}.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Anchors, anchorTensors, levelShapes, makeAnchors } from "../head/anchors.ts";
import { dflExpectation, dist2bbox, flattenLevels, REG_MAX } from "../head/decode.ts";
import { branchLoss, type BranchPrediction } from "./branch_loss.ts";
import { type Assignment, assignTargets } from "./tal_assigner.ts";
import { type PaddedTargets, preprocessTargets } from "./targets.ts";
import { branchAssignments, defaultBranchWeights } from "../pgi/branch_weights.ts";

/** Loss gains (hard-coded in the reference; equal to `hyp.scratch-high.yaml`'s box / cls / dfl). */
export interface LossGains {
  box: number;
  cls: number;
  dfl: number;
}

/** The reference's gains: box 7.5, cls 0.5, dfl 1.5. */
export const DEFAULT_GAINS: Readonly<LossGains> = { box: 7.5, cls: 0.5, dfl: 1.5 };

/** Options of {@link computeLoss}. */
export interface LossOptions {
  /** Number of classes. */
  nc: number;
  /** Stride of each level in pixels, e.g. [8, 16, 32]. */
  strides: readonly number[];
  /** Image size [height, width] of the normalised targets; default first level's H, W times its stride. */
  imgSize?: readonly [number, number];
  /** Gains, default {@link DEFAULT_GAINS}. */
  gains?: Partial<LossGains>;
  /** One weight per branch, default {@link defaultBranchWeights}. The last branch is the main one. */
  branchWeights?: readonly number[];
  /**
   * Lead-head guided assignment (`ComputeLossLH`): every branch is trained with the assignment of the
   * last (main) branch. Unlike the reference (which divides by the raw score sum), S is max(sum, 1).
   */
  lhg?: boolean;
  /** Assigner hyperparameters (topk 10, alpha 0.5, beta 6, eps 1e-9). */
  assigner?: { topk?: number; alpha?: number; beta?: number; eps?: number };
  /** DFL bins per side (16). */
  regMax?: number;
  /**
   * Each branch's assignment, computed beforehand on the same predictions ({@link assignLoss}); by
   * default the assigner runs here on values read synchronously.
   */
  assignments?: readonly Assignment[];
}

/** Result of {@link computeLoss}. */
export interface LossResult {
  /** (box + cls + dfl) * batch size: the value to differentiate. */
  total: tf.Scalar;
  /** [box, cls, dfl] after gains and branch weights, not multiplied by the batch size. */
  items: tf.Tensor1D;
  /** Foreground anchors and S = max(sum of target scores, 1) of each branch (plain numbers). */
  stats: { fg: number[]; scoreSum: number[] };
}

/** Flatten one branch's levels and decode its boxes (xyxy, grid units), keeping the graph differentiable. */
export function decodeBranch(
  levels: readonly tf.Tensor[],
  opts: { anchors: Anchors; nc: number; regMax?: number },
): BranchPrediction {
  const regMax = opts.regMax ?? REG_MAX;
  return tf.tidy(() => {
    const flat = flattenLevels(levels);
    const [b, a, c] = flat.shape;
    if (c !== 4 * regMax + opts.nc) {
      throw new RangeError(
        `Cannot compute loss: expected ${4 * regMax} + nc = ${4 * regMax + opts.nc} channels, got ${c}`,
      );
    }
    const distri = tf.slice(flat, [0, 0, 0], [b, a, 4 * regMax]) as tf.Tensor3D;
    const logits = tf.slice(flat, [0, 0, 4 * regMax], [b, a, opts.nc]) as tf.Tensor3D;
    const points = anchorTensors(opts.anchors).points;
    const boxes = dist2bbox(dflExpectation(distri, { regMax }), points) as tf.Tensor3D;
    return { distri, logits, boxes };
  });
}

/** What the assigner needs besides the predictions. */
export type AssignContext = { anchors: Anchors; targets: PaddedTargets; nc: number; assigner?: LossOptions["assigner"] };

/**
 * Run the assigner on a branch's current predictions (values only; no gradient flows through this).
 * Reads synchronously (inside `tf.valueAndGrads`, on cpu, wasm, native); {@link assignBranchAsync} elsewhere.
 */
export function assignBranch(pred: BranchPrediction, opts: AssignContext): Assignment {
  // Read outside tf.tidy: tidy walks every index of a returned typed array (seconds for millions).
  const sig = tf.sigmoid(pred.logits);
  const probs = sig.dataSync();
  sig.dispose();
  return assignValues(pred.boxes.shape, pred.boxes.dataSync(), probs, opts);
}

/** {@link assignBranch} with awaited reads (for backends whose reads are asynchronous). */
export async function assignBranchAsync(pred: BranchPrediction, opts: AssignContext): Promise<Assignment> {
  const sig = tf.sigmoid(pred.logits);
  const [boxes, probs] = await Promise.all([pred.boxes.data(), sig.data()]);
  sig.dispose();
  return assignValues(pred.boxes.shape, boxes, probs, opts);
}

/** The assigner on read values: decoded boxes (grid units) and class probabilities of a [b, a] branch. */
export function assignValues(shape: number[], boxes: ArrayLike<number>, probs: ArrayLike<number>, opts: AssignContext): Assignment {
  const { anchors, targets, nc } = opts;
  const [b, a] = shape;
  const pxBoxes = new Float32Array(boxes.length);
  for (let i = 0; i < boxes.length; i++) pxBoxes[i] = boxes[i] * anchors.strides[((i / 4) | 0) % a];
  const ancPx = anchors.points.map((v, i) => v * anchors.strides[i >> 1]);
  return assignTargets({
    batch: b,
    numAnchors: a,
    nMax: targets.nMax,
    pdScores: probs,
    pdBboxes: pxBoxes,
    ancPoints: ancPx,
    gtLabels: targets.gtLabels,
    gtBboxes: targets.gtBboxes,
    maskGt: targets.maskGt,
  }, { numClasses: nc, ...opts.assigner });
}

function asBranches(
  preds: readonly tf.Tensor[] | readonly (readonly tf.Tensor[])[],
): (readonly tf.Tensor[])[] {
  if (preds.length === 0) {
    throw new RangeError("Cannot compute loss: expected predictions, got an empty list");
  }
  return Array.isArray(preds[0])
    ? [...preds as readonly (readonly tf.Tensor[])[]]
    : [preds as readonly tf.Tensor[]];
}

/** Branches, anchors and padded targets of a loss call, with the shapes checked. */
function lossSetup(
  preds: readonly tf.Tensor[] | readonly (readonly tf.Tensor[])[],
  rows: ArrayLike<number>,
  opts: LossOptions,
) {
  const branches = asBranches(preds);
  const shapes = levelShapes(branches[0]);
  const batch = branches[0][0].shape[0];
  branches.forEach((br, i) => {
    const s = levelShapes(br);
    if (
      s.length !== shapes.length ||
      s.some(([h, w], l) => h !== shapes[l][0] || w !== shapes[l][1] || br[l].shape[0] !== batch)
    ) {
      throw new RangeError(
        `Cannot compute loss: branch ${i} has level shapes ${JSON.stringify(s)}, expected ${
          JSON.stringify(shapes)
        }`,
      );
    }
  });
  const weights = opts.branchWeights ?? defaultBranchWeights(branches.length);
  if (weights.length !== branches.length) {
    throw new RangeError(
      `Cannot compute loss: expected ${branches.length} branch weights, got ${weights.length}`,
    );
  }
  const gains = { ...DEFAULT_GAINS, ...opts.gains };
  const anchors = makeAnchors(shapes, opts.strides);
  const imgSize = opts.imgSize ?? [shapes[0][0] * opts.strides[0], shapes[0][1] * opts.strides[0]] as const;
  const padded = preprocessTargets(rows, { batch, imgSize });
  const ctx = { anchors, targets: padded, nc: opts.nc, assigner: opts.assigner };
  return { branches, batch, weights, gains, anchors, ctx };
}

/**
 * YOLOv9 loss of raw head outputs `preds` (per level NHWC [B, H, W, 4*16 + nc], or a list of such lists,
 * one per branch, auxiliary first and main last) against target rows [image_index, class, cx, cy, w, h]
 * (normalised). Mirrors `ComputeLoss.__call__` of `utils/loss_tal.py` / `loss_tal_dual.py` /
 * `loss_tal_triple.py`. The caller disposes `total` and `items`.
 *
 * @example
 * ```ts
 * const { value, grads } = tf.valueAndGrads((...p: tf.Tensor[]) => computeLoss(p, targets, { nc: 80, strides: [8, 16, 32] }).total)(preds);
 * ```
 */
export function computeLoss(
  preds: readonly tf.Tensor[] | readonly (readonly tf.Tensor[])[],
  targets: ArrayLike<number> | tf.Tensor2D,
  opts: LossOptions,
): LossResult {
  // Target rows given as a tensor are read synchronously (backends with synchronous reads; pass an array elsewhere).
  const rows = targets instanceof tf.Tensor ? targets.dataSync() : targets;
  const { branches, batch, weights, gains, anchors, ctx } = lossSetup(preds, rows, opts);
  return tf.tidy(() => {
    const decoded = branches.map((br) => decodeBranch(br, { anchors, nc: opts.nc, regMax: opts.regMax }));
    if (opts.assignments && opts.assignments.length !== decoded.length) {
      throw new RangeError(`Cannot compute loss: ${opts.assignments.length} assignments for ${decoded.length} branches`);
    }
    const assignments = opts.assignments ?? branchAssignments(decoded, (pred) => assignBranch(pred, ctx), !!opts.lhg);
    const terms = decoded.map((pred, i) => branchLoss(pred, assignments[i], { anchors, regMax: opts.regMax }));
    const weighted = (key: "box" | "cls" | "dfl") => tf.addN(terms.map((t, i) => tf.mul(t[key], weights[i])));
    const items = tf.stack([
      tf.mul(weighted("box"), gains.box),
      tf.mul(weighted("cls"), gains.cls),
      tf.mul(weighted("dfl"), gains.dfl),
    ]) as tf.Tensor1D;
    const total = tf.mul(tf.sum(items), batch) as tf.Scalar;
    return { total, items, stats: { fg: terms.map((t) => t.fg), scoreSum: terms.map((t) => t.scoreSum) } };
  }) as LossResult;
}

/**
 * The label assignment of each branch of `preds` (lead-head guided when `opts.lhg`), read with awaited
 * reads: pass it to {@link computeLoss} as `assignments` on backends without synchronous reads.
 *
 * @example
 * ```ts
 * const assignments = await assignLoss(heads, targets, { nc: 80, strides: [8, 16, 32] });
 * const loss = computeLoss(heads, targets, { nc: 80, strides: [8, 16, 32], assignments });
 * ```
 */
export async function assignLoss(
  preds: readonly tf.Tensor[] | readonly (readonly tf.Tensor[])[],
  targets: ArrayLike<number>,
  opts: LossOptions,
): Promise<Assignment[]> {
  const { branches, anchors, ctx } = lossSetup(preds, targets, opts);
  const decoded = branches.map((br) => decodeBranch(br, { anchors, nc: opts.nc, regMax: opts.regMax }));
  try {
    if (opts.lhg) {
      const lead = await assignBranchAsync(decoded[decoded.length - 1], ctx);
      return decoded.map(() => lead);
    }
    return await Promise.all(decoded.map((d) => assignBranchAsync(d, ctx)));
  } finally {
    decoded.forEach((d) => tf.dispose([d.distri, d.logits, d.boxes]));
  }
}
