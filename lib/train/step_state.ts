/**
 * The state, configuration and result types of one training iteration (lib/train/train_step.ts), and the
 * state's tensor bookkeeping: what a state holds, releasing what a new state no longer uses, and the
 * error a non-finite loss raises. Shared by the step's two finishes: over arrays where tensor reads are
 * synchronous, as the backend's tensor ops where they are not (lib/train/device_finish.ts).
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { flattenTree, type Tree } from "../nn/tree.ts";
import type { BatchStats } from "../nn/tensor_ops.ts";
import type { ModelSpec } from "../graph/spec.ts";
import type { ParamGroups } from "../optim/param_groups.ts";
import { clipCoefficient, initSgd, type SgdState, type SgdUpdateSettings } from "../optim/sgd.ts";
import { type EmaOptions, type EmaState, initEma } from "../optim/ema.ts";
import type { IterationSettings, ScheduleConfig } from "../optim/schedule.ts";

/** Everything that changes during training. */
export interface TrainState {
  /** The model being trained: parameters and BatchNorm buffers. */
  weights: Tree<tf.Tensor>;
  /** Momentum buffers, aligned with {@link ParamGroups.names}. */
  sgd: SgdState;
  ema: EmaState;
  /**
   * Gradients accumulated since the last optimizer step (null = none), in parameter order: laid end to end
   * in one array where reads are synchronous (cpu, wasm, native), one tensor per parameter elsewhere (webgpu).
   */
  gradAcc: Float32Array | tf.Tensor[] | null;
  /** Global iteration of the last optimizer step (-1 before the first). */
  lastOptStep: number;
}

/** Fixed configuration of the steps of a run. */
export interface StepConfig {
  spec: ModelSpec;
  groups: ParamGroups;
  schedule: ScheduleConfig;
  /** Weight decay of group 1, already scaled to the nominal batch. */
  weightDecay: number;
  /** `clip_grad_norm_` max norm (10). */
  maxGradNorm?: number;
  ema?: EmaOptions;
  /** Lead-head guided assignment for the auxiliary branch. */
  lhg?: boolean;
  /** Training image size (YOLOv7's objectness gain scales with it); default each batch's height. */
  img?: number;
}

/** Where in the run an iteration is. */
export interface StepContext {
  epoch: number;
  /** Batch index inside the epoch. */
  batch: number;
  /** Global iteration `ni = batch + nb * epoch`. */
  ni: number;
  /**
   * The caller hands the input state over to the step and never uses it again (the training loop):
   * where the backend gives in-place access (cpu, native), its weights, momentum, EMA and accumulated
   * gradients are updated in place and come back as the new state, with no new tensors. The values are
   * those of the pure step. A step that throws (non-finite loss) leaves the state intact either way.
   */
  donate?: boolean;
}

/** Metrics of one iteration (plain numbers). */
export interface StepMetrics {
  /** [box, cls, dfl] ([box, cls, obj] for YOLOv7), gains applied, not multiplied by the batch size. */
  items: [number, number, number];
  /** The differentiated loss, (sum of the items) x batch size. */
  loss: number;
  instances: number;
  settings: IterationSettings;
  /** Whether the optimizer stepped, and the gradient norm before clipping when it did. */
  stepped: boolean;
  gradNorm?: number;
}

/** A training batch: NHWC images in [0, 1] and target rows [image, class, cx, cy, w, h]. */
export type StepBatch = { images: tf.Tensor4D; targets: ArrayLike<number> };

/** What the differentiated pass gives: loss, items, gradients (parameter order) and the BatchNorm batch statistics. */
export type StepPass = {
  value: tf.Scalar;
  grads: tf.Tensor[];
  items: tf.Tensor1D;
  stats: Map<Tree<tf.Tensor>, BatchStats>;
};

/** Thrown when the loss is not finite; names the epoch and batch. The state given to the step is intact. */
export class NonFiniteLossError extends Error {
  constructor(readonly epoch: number, readonly batch: number, detail: string) {
    super(`Non-finite loss at epoch ${epoch}, batch ${batch}: ${detail}`);
    this.name = "NonFiniteLossError";
  }
}

/** A fresh state: the given weights (shared, not copied), empty momentum, EMA = a copy of the weights. */
export function initTrainState(weights: Tree<tf.Tensor>, groups: ParamGroups): TrainState {
  return {
    weights,
    sgd: initSgd(groups.names.length),
    ema: initEma(weights),
    gradAcc: null,
    lastOptStep: -1,
  };
}

/** Every tensor a state holds. */
export function stateTensors(s: TrainState): Set<tf.Tensor> {
  const out = new Set<tf.Tensor>();
  for (const [, t] of flattenTree(s.weights)) out.add(t);
  for (const [, t] of flattenTree(s.ema.weights)) out.add(t);
  for (const t of s.sgd.buffers) if (t) out.add(t);
  if (Array.isArray(s.gradAcc)) { for (const t of s.gradAcc) out.add(t); }
  return out;
}

/** Dispose the tensors of `old` that `next` does not hold (all of them when `next` is omitted). */
export function releaseState(old: TrainState, next?: TrainState): void {
  // A donated step (StepContext.donate) returns the same trees: nothing of `old` is left to free.
  const same = next && old.weights === next.weights && old.ema.weights === next.ema.weights &&
    old.sgd.buffers === next.sgd.buffers && !Array.isArray(old.gradAcc);
  if (same) return;
  const keep = next ? stateTensors(next) : new Set<tf.Tensor>();
  for (const t of stateTensors(old)) if (!keep.has(t)) t.dispose();
}

/** `optimizer.zero_grad()` at the start of an epoch: drops a partial accumulation (freed by `releaseState(old, new)`). */
export function zeroGrad(state: TrainState): TrainState {
  return { ...state, gradAcc: null };
}

/**
 * The settings of an optimizer step (train_dual.py): the iteration's per-group learning rates and
 * momentum, weight decay on group 1 only, Nesterov, and the `clip_grad_norm_` coefficient of `norm`.
 */
export function stepSgdSettings(
  settings: IterationSettings,
  cfg: StepConfig,
  norm: number,
): SgdUpdateSettings {
  return {
    lr: settings.lr,
    momentum: [settings.momentum, settings.momentum, settings.momentum],
    weightDecay: [0, cfg.weightDecay, 0],
    nesterov: true,
    gradScale: clipCoefficient(norm, cfg.maxGradNorm ?? 10.0),
  };
}
