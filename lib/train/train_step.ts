/**
 * One training iteration of `train_dual.py` / `train.py` as a pure state transition:
 * train-mode forward, the loss chosen by the model's head (single, dual or triple branch; YOLOv7's IDetect),
 * gradients of the trainable parameters, BatchNorm running statistics, gradient accumulation,
 * and on optimizer steps (`ni - last_opt_step >= accumulate`) `clip_grad_norm_(10)`, Nesterov SGD
 * and the EMA update. `trainStep(state, batch, ctx, cfg) -> {state, metrics}`; the input state is
 * left intact, {@link releaseState} frees what the new state no longer uses. {@link trainStepAsync} is
 * the same transition with awaited reads, for backends whose reads are asynchronous (webgpu).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { flattenTree, type Tree } from "../nn/tree.ts";
import type { BatchStats } from "../nn/tensor_ops.ts";
import { forwardModel } from "../models/model.ts";
import type { ModelSpec } from "../graph/spec.ts";
import { assignObjective, type ObjectiveAssignment, objectiveLoss } from "../models/objective.ts";
import { fetchValues, syncReads } from "../backend/port.ts";
import { gatherParams, type ParamGroups, replaceLeaves } from "../optim/param_groups.ts";
import { clipCoefficient, initSgd, type SgdState, sgdStepGradValues, totalNorm } from "../optim/sgd.ts";
import { type EmaOptions, type EmaState, initEma, updateEma } from "../optim/ema.ts";
import { updateBatchNormStats } from "../optim/bn_update.ts";
import { addFloat32, flatLayout, flatten, valuesOf, viewsOf } from "../optim/flat.ts";
import { type IterationSettings, iterationSettings, type ScheduleConfig } from "../optim/schedule.ts";

/** Everything that changes during training. */
export interface TrainState {
  /** The model being trained: parameters and BatchNorm buffers. */
  weights: Tree<tf.Tensor>;
  /** Momentum buffers, aligned with {@link ParamGroups.names}. */
  sgd: SgdState;
  ema: EmaState;
  /** Gradients accumulated since the last optimizer step, laid end to end in parameter order (null = none). */
  gradAcc: Float32Array | null;
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

/** Thrown when the loss is not finite; names the epoch and batch. The state given to the step is intact. */
export class NonFiniteLossError extends Error {
  constructor(readonly epoch: number, readonly batch: number, detail: string) {
    super(`Non-finite loss at epoch ${epoch}, batch ${batch}: ${detail}`);
    this.name = "NonFiniteLossError";
  }
}

/** A fresh state: the given weights (shared, not copied), empty momentum, EMA = a copy of the weights. */
export function initTrainState(weights: Tree<tf.Tensor>, groups: ParamGroups): TrainState {
  return { weights, sgd: initSgd(groups.names.length), ema: initEma(weights), gradAcc: null, lastOptStep: -1 };
}

/** Every tensor a state holds. */
export function stateTensors(s: TrainState): Set<tf.Tensor> {
  const out = new Set<tf.Tensor>();
  for (const [, t] of flattenTree(s.weights)) out.add(t);
  for (const [, t] of flattenTree(s.ema.weights)) out.add(t);
  for (const t of s.sgd.buffers) if (t) out.add(t);
  return out;
}

/** Dispose the tensors of `old` that `next` does not hold (all of them when `next` is omitted). */
export function releaseState(old: TrainState, next?: TrainState): void {
  const keep = next ? stateTensors(next) : new Set<tf.Tensor>();
  for (const t of stateTensors(old)) if (!keep.has(t)) t.dispose();
}

/** `optimizer.zero_grad()` at the start of an epoch: drops a partial accumulation. */
export function zeroGrad(state: TrainState): TrainState {
  return { ...state, gradAcc: null };
}

/** A training batch: NHWC images in [0, 1] and target rows [image, class, cx, cy, w, h]. */
type StepBatch = { images: tf.Tensor4D; targets: ArrayLike<number> };

/** What the differentiated pass gives: loss, items, gradients and the BatchNorm batch statistics. */
type Pass = { value: tf.Scalar; grads: tf.Tensor[]; items: tf.Tensor1D; stats: Map<Tree<tf.Tensor>, BatchStats> };

function forwardBackward(state: TrainState, batch: StepBatch, cfg: StepConfig, pre: ObjectiveAssignment = {}): Pass {
  const params = gatherParams(state.weights, cfg.groups.names);
  const stats = new Map<Tree<tf.Tensor>, BatchStats>();
  let items: tf.Tensor1D | undefined;
  const { value, grads } = tf.valueAndGrads((..._ps: tf.Tensor[]) => {
    const { heads } = forwardModel(cfg.spec, state.weights, batch.images, { training: true, stats });
    const loss = objectiveLoss(cfg.spec, heads, batch.targets, { hyp: cfg.schedule.hyp, img: cfg.img, lhg: cfg.lhg, ...pre });
    items = tf.keep(loss.items);
    for (const s of stats.values()) {
      tf.keep(s.mean);
      tf.keep(s.variance);
    }
    return loss.total;
  })(params);
  const filled = grads.map((g, i) => g ?? tf.zerosLike(params[i]));
  return { value, grads: filled, items: items!, stats };
}

/**
 * One iteration (see the module doc). Throws {@link NonFiniteLossError} (nothing changed, nothing
 * leaked) when the loss or the gradient norm is not finite.
 *
 * @example
 * ```ts
 * const { state: next, metrics } = trainStep(state, batch, { epoch: 0, batch: 0, ni: 0 }, cfg);
 * releaseState(state, next);
 * ```
 */
export function trainStep(
  state: TrainState,
  batch: StepBatch,
  ctx: StepContext,
  cfg: StepConfig,
): { state: TrainState; metrics: StepMetrics } {
  return finishStep(state, batch, ctx, cfg, forwardBackward(state, batch, cfg));
}

/**
 * {@link trainStep} with awaited reads: the same transition on every backend. Where reads are
 * synchronous it is `trainStep`; elsewhere (webgpu) a forward pass without the gradient tape gives the
 * label assignment first (TAL or YOLOv7's OTA, read with `await`; the reference assigns the predictions
 * of the same weights), and every value the optimizer reads is downloaded before it runs.
 *
 * @example
 * ```ts
 * const { state: next, metrics } = await trainStepAsync(state, batch, { epoch: 0, batch: 0, ni: 0 }, cfg);
 * releaseState(state, next);
 * ```
 */
export async function trainStepAsync(
  state: TrainState,
  batch: StepBatch,
  ctx: StepContext,
  cfg: StepConfig,
): Promise<{ state: TrainState; metrics: StepMetrics }> {
  if (syncReads()) return trainStep(state, batch, ctx, cfg);
  const heads = tf.tidy(() => forwardModel(cfg.spec, state.weights, batch.images, { training: true }).heads);
  let pre: ObjectiveAssignment;
  try {
    pre = await assignObjective(cfg.spec, heads, batch.targets, { hyp: cfg.schedule.hyp, img: cfg.img, lhg: cfg.lhg });
  } finally {
    tf.dispose(heads);
  }
  const pass = forwardBackward(state, batch, cfg, pre);
  const batchStats = [...pass.stats.values()].flatMap((s) => [s.mean, s.variance]);
  await fetchValues([pass.value, pass.items, ...pass.grads, ...batchStats, ...stateTensors(state)]);
  return finishStep(state, batch, ctx, cfg, pass);
}

/** Everything after the differentiated pass: metrics, BatchNorm statistics, accumulation, clip, SGD, EMA. */
function finishStep(
  state: TrainState,
  batch: StepBatch,
  ctx: StepContext,
  cfg: StepConfig,
  { value, grads, items, stats }: Pass,
): { state: TrainState; metrics: StepMetrics } {
  const settings = iterationSettings(ctx.ni, ctx.epoch, cfg.schedule);
  // Synchronous reads here and in the optimizer: trainStepAsync downloaded these values beforehand.
  const loss = value.dataSync()[0];
  const it = Array.from(items.dataSync()) as [number, number, number];
  value.dispose();
  items.dispose();
  const dropStats = () => stats.forEach((s) => tf.dispose([s.mean, s.variance]));
  if (!Number.isFinite(loss) || !it.every(Number.isFinite)) {
    tf.dispose(grads);
    dropStats();
    throw new NonFiniteLossError(ctx.epoch, ctx.batch, `loss ${loss} (box ${it[0]}, cls ${it[1]}, dfl ${it[2]})`);
  }
  const bnWeights = updateBatchNormStats(state.weights, stats);
  dropStats();
  // Gradients are read as arrays (flat.ts); an accumulation is one flat array across iterations.
  const layout = flatLayout(grads.map((g) => g.shape));
  const instances = batch.targets.length / 6;
  const accumulateOnly = ctx.ni - state.lastOptStep < settings.accumulate;
  let acc: Float32Array | null = null;
  if (state.gradAcc || accumulateOnly) {
    const flat = flatten(grads, layout);
    acc = state.gradAcc ? addFloat32(state.gradAcc, flat) : flat;
  }
  if (accumulateOnly) {
    tf.dispose(grads);
    return {
      state: { ...state, weights: bnWeights, gradAcc: acc },
      metrics: { items: it, loss, instances, settings, stepped: false },
    };
  }
  const gradValues = acc ? viewsOf(acc, layout) : valuesOf(grads);
  const norm = totalNorm(gradValues);
  if (!Number.isFinite(norm)) {
    tf.dispose(grads);
    releaseState({ ...state, weights: bnWeights, gradAcc: null }, state);
    throw new NonFiniteLossError(ctx.epoch, ctx.batch, `gradient norm ${norm} (loss ${loss})`);
  }
  const stepped = sgdStepGradValues(gatherParams(bnWeights, cfg.groups.names), gradValues, state.sgd, cfg.groups.groups, {
    lr: settings.lr,
    momentum: [settings.momentum, settings.momentum, settings.momentum],
    weightDecay: [0, cfg.weightDecay, 0],
    nesterov: true,
    gradScale: clipCoefficient(norm, cfg.maxGradNorm ?? 10.0),
  });
  tf.dispose(grads);
  // The replaced parameters of bnWeights are those of the input state: freed by releaseState.
  const weights = replaceLeaves(bnWeights, cfg.groups.names, stepped.params);
  const ema = updateEma(state.ema, weights, cfg.ema);
  return {
    state: { weights, sgd: stepped.state, ema, gradAcc: null, lastOptStep: ctx.ni },
    metrics: { items: it, loss, instances, settings, stepped: true, gradNorm: norm },
  };
}
