/**
 * One training iteration of `train_dual.py` / `train.py` as a pure state transition:
 * train-mode forward, the loss chosen by the model's head (single, dual or triple branch; YOLOv7's IDetect),
 * gradients of the trainable parameters, BatchNorm running statistics, gradient accumulation,
 * and on optimizer steps (`ni - last_opt_step >= accumulate`) `clip_grad_norm_(10)`, Nesterov SGD
 * and the EMA update. `trainStep(state, batch, ctx, cfg) -> {state, metrics}`; the input state is
 * left intact, {@link releaseState} frees what the new state no longer uses. Where the backend records
 * kernels (`native`) the differentiated pass is a compiled program (compiled_step.ts), else tfjs' tape.
 * {@link trainStepAsync} is the same transition with awaited reads, for backends whose reads are asynchronous (webgpu).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tree } from "../nn/tree.ts";
import type { BatchStats } from "../nn/tensor_ops.ts";
import { forwardModel } from "../models/model.ts";
import { assignObjective, type ObjectiveAssignment, objectiveLoss } from "../models/objective.ts";
import { syncReads } from "../backend/port.ts";
import { gatherParams, replaceLeaves } from "../optim/param_groups.ts";
import { sgdStepGradValues, totalNorm } from "../optim/sgd.ts";
import { updateEma } from "../optim/ema.ts";
import { updateBatchNormStats } from "../optim/bn_update.ts";
import { addFloat32, flatLayout, flatten, valuesOf, viewsOf } from "../optim/flat.ts";
import { iterationSettings } from "../optim/schedule.ts";
import {
  NonFiniteLossError,
  type StepBatch,
  type StepConfig,
  type StepContext,
  type StepMetrics,
  type StepPass,
  stepSgdSettings,
  type TrainState,
} from "./step_state.ts";
import { finishStepDevice } from "./device_finish.ts";
import { compiledPass } from "./compiled_step.ts";

export {
  initTrainState,
  NonFiniteLossError,
  releaseState,
  stateTensors,
  type StepConfig,
  type StepContext,
  type StepMetrics,
  type TrainState,
  zeroGrad,
} from "./step_state.ts";

function forwardBackward(
  state: TrainState,
  batch: StepBatch,
  cfg: StepConfig,
  pre: ObjectiveAssignment = {},
): StepPass {
  const params = gatherParams(state.weights, cfg.groups.names);
  const stats = new Map<Tree<tf.Tensor>, BatchStats>();
  let items: tf.Tensor1D | undefined;
  const { value, grads } = tf.valueAndGrads((..._ps: tf.Tensor[]) => {
    const { heads } = forwardModel(cfg.spec, state.weights, batch.images, { training: true, stats });
    const loss = objectiveLoss(cfg.spec, heads, batch.targets, {
      hyp: cfg.schedule.hyp,
      img: cfg.img,
      lhg: cfg.lhg,
      ...pre,
    });
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
  return finishStep(state, batch, ctx, cfg, compiledPass(state, batch, cfg) ?? forwardBackward(state, batch, cfg));
}

/**
 * {@link trainStep} with awaited reads: the same transition on every backend. Where reads are
 * synchronous it is `trainStep`; elsewhere (webgpu) a forward pass without the gradient tape gives the
 * label assignment first (TAL or YOLOv7's OTA, read with `await`; the reference assigns the predictions
 * of the same weights), and the BatchNorm statistics, accumulation, clip, SGD and EMA run as the backend's
 * tensor ops (device_finish.ts): one small read per iteration (loss, items, gradient norm), no model download.
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
    pre = await assignObjective(cfg.spec, heads, batch.targets, {
      hyp: cfg.schedule.hyp,
      img: cfg.img,
      lhg: cfg.lhg,
    });
  } finally {
    tf.dispose(heads);
  }
  return await finishStepDevice(state, batch, ctx, cfg, forwardBackward(state, batch, cfg, pre));
}

/** Everything after the differentiated pass (synchronous reads, over arrays): metrics, BatchNorm statistics, accumulation, clip, SGD, EMA. */
function finishStep(
  state: TrainState,
  batch: StepBatch,
  ctx: StepContext,
  cfg: StepConfig,
  { value, grads, items, stats }: StepPass,
): { state: TrainState; metrics: StepMetrics } {
  const settings = iterationSettings(ctx.ni, ctx.epoch, cfg.schedule);
  const loss = value.dataSync()[0];
  const it = Array.from(items.dataSync()) as [number, number, number];
  value.dispose();
  items.dispose();
  const dropStats = () => stats.forEach((s) => tf.dispose([s.mean, s.variance]));
  if (!Number.isFinite(loss) || !it.every(Number.isFinite)) {
    tf.dispose(grads);
    dropStats();
    throw new NonFiniteLossError(
      ctx.epoch,
      ctx.batch,
      `loss ${loss} (box ${it[0]}, cls ${it[1]}, dfl ${it[2]})`,
    );
  }
  // Gradients are read as arrays (flat.ts); an accumulation is one flat array across iterations.
  const layout = flatLayout(grads.map((g) => g.shape));
  const instances = batch.targets.length / 6;
  const accumulateOnly = ctx.ni - state.lastOptStep < settings.accumulate;
  const inPlace = ctx.donate === true;
  let acc: Float32Array | null = null;
  if (state.gradAcc || accumulateOnly) {
    const flat = flatten(grads, layout);
    const prior = Array.isArray(state.gradAcc) ? flatten(state.gradAcc, layout) : state.gradAcc;
    // In place only where no norm check follows (a step that throws must leave the state intact).
    const into = inPlace && accumulateOnly && prior && prior === state.gradAcc ? prior : undefined;
    acc = prior ? addFloat32(prior, flat, into) : flat;
  }
  const bnStats = () => {
    const w = updateBatchNormStats(state.weights, stats, undefined, { inPlace });
    dropStats();
    return w;
  };
  if (accumulateOnly) {
    tf.dispose(grads);
    return {
      state: { ...state, weights: bnStats(), gradAcc: acc },
      metrics: { items: it, loss, instances, settings, stepped: false },
    };
  }
  const gradValues = acc ? viewsOf(acc, layout) : valuesOf(grads);
  const norm = totalNorm(gradValues);
  if (!Number.isFinite(norm)) {
    tf.dispose(grads);
    dropStats();
    throw new NonFiniteLossError(ctx.epoch, ctx.batch, `gradient norm ${norm} (loss ${loss})`);
  }
  // Nothing is changed before this point: a step that throws leaves even a donated state intact.
  const bnWeights = bnStats();
  const params = gatherParams(bnWeights, cfg.groups.names);
  const stepped = sgdStepGradValues(
    params,
    gradValues,
    state.sgd,
    cfg.groups.groups,
    stepSgdSettings(settings, cfg, norm),
    { inPlace },
  );
  tf.dispose(grads);
  // The replaced parameters of bnWeights are those of the input state: freed by releaseState.
  const same = stepped.params.every((p, i) => p === params[i]);
  const weights = same ? bnWeights : replaceLeaves(bnWeights, cfg.groups.names, stepped.params);
  const ema = updateEma(state.ema, weights, cfg.ema, { inPlace });
  return {
    state: { weights, sgd: stepped.state, ema, gradAcc: null, lastOptStep: ctx.ni },
    metrics: { items: it, loss, instances, settings, stepped: true, gradNorm: norm },
  };
}
