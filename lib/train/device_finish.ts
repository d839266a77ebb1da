/**
 * The end of a training iteration where tensor reads are asynchronous (webgpu): the same updates as the
 * array finish of train_step.ts (BatchNorm running statistics, gradient accumulation, `clip_grad_norm_`,
 * Nesterov SGD, ModelEMA; reference spec §5) as the backend's tensor ops, so the model never leaves the
 * device. One small awaited read per iteration: the loss, its three items and the gradient norm, which
 * the finiteness check and the clip coefficient need.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { flatLayout, tensorsOf, viewsOf } from "../optim/flat.ts";
import { gatherParams, replaceLeaves } from "../optim/param_groups.ts";
import { sgdStepDevice, totalNormDevice } from "../optim/sgd_device.ts";
import { updateEmaDevice } from "../optim/ema.ts";
import { updateBatchNormStatsDevice } from "../optim/bn_update.ts";
import { iterationSettings } from "../optim/schedule.ts";
import {
  NonFiniteLossError,
  releaseState,
  type StepBatch,
  type StepConfig,
  type StepContext,
  type StepMetrics,
  type StepPass,
  stepSgdSettings,
  type TrainState,
} from "./step_state.ts";

/**
 * Metrics, BatchNorm statistics, accumulation, clip, SGD and EMA of the differentiated pass `pass` (its
 * tensors are consumed) as tensor ops, reading only the loss, the items and the gradient norm. Throws
 * {@link NonFiniteLossError} (the input state intact, nothing leaked) when the loss or the norm is not finite.
 *
 * @example
 * ```ts
 * const { state: next, metrics } = await finishStepDevice(state, batch, ctx, cfg, pass);
 * ```
 */
export async function finishStepDevice(
  state: TrainState,
  batch: StepBatch,
  ctx: StepContext,
  cfg: StepConfig,
  { value, grads: passGrads, items, stats }: StepPass,
): Promise<{ state: TrainState; metrics: StepMetrics }> {
  const settings = iterationSettings(ctx.ni, ctx.epoch, cfg.schedule);
  const accumulateOnly = ctx.ni - state.lastOptStep < settings.accumulate;
  const dropStats = () => stats.forEach((s) => tf.dispose([s.mean, s.variance]));
  // The sum of the accumulated gradients and this pass's, per parameter (the float32 sums of the array path).
  const grads = state.gradAcc ? addGrads(state.gradAcc, passGrads) : passGrads;
  let read: Float32Array;
  const small = tf.tidy(() => {
    const norm = accumulateOnly ? [] : [tf.reshape(totalNormDevice(grads), [1])];
    return tf.concat([tf.reshape(value, [1]), items, ...norm]);
  });
  try {
    read = await small.data() as Float32Array;
  } catch (e) {
    tf.dispose(grads);
    dropStats();
    throw e;
  } finally {
    tf.dispose([small, value, items]);
    if (grads !== passGrads) tf.dispose(passGrads);
  }
  const loss = read[0], it = [read[1], read[2], read[3]] as [number, number, number];
  if (!Number.isFinite(loss) || !it.every(Number.isFinite)) {
    tf.dispose(grads);
    dropStats();
    throw new NonFiniteLossError(
      ctx.epoch,
      ctx.batch,
      `loss ${loss} (box ${it[0]}, cls ${it[1]}, dfl ${it[2]})`,
    );
  }
  const bnWeights = updateBatchNormStatsDevice(state.weights, stats);
  dropStats();
  const instances = batch.targets.length / 6;
  if (accumulateOnly) {
    return {
      state: { ...state, weights: bnWeights, gradAcc: grads },
      metrics: { items: it, loss, instances, settings, stepped: false },
    };
  }
  const norm = read[4];
  if (!Number.isFinite(norm)) {
    tf.dispose(grads);
    releaseState({ ...state, weights: bnWeights, gradAcc: null }, state);
    throw new NonFiniteLossError(ctx.epoch, ctx.batch, `gradient norm ${norm} (loss ${loss})`);
  }
  const stepped = sgdStepDevice(
    gatherParams(bnWeights, cfg.groups.names),
    grads,
    state.sgd,
    cfg.groups.groups,
    stepSgdSettings(settings, cfg, norm),
  );
  tf.dispose(grads);
  // The replaced parameters of bnWeights are those of the input state: freed by releaseState.
  const weights = replaceLeaves(bnWeights, cfg.groups.names, stepped.params);
  const ema = updateEmaDevice(state.ema, weights, cfg.ema);
  return {
    state: { weights, sgd: stepped.state, ema, gradAcc: null, lastOptStep: ctx.ni },
    metrics: { items: it, loss, instances, settings, stepped: true, gradNorm: norm },
  };
}

/** `acc + grads` per parameter as new tensors (`acc` as one flat array, from a synchronous backend, or tensors). */
function addGrads(acc: Float32Array | readonly tf.Tensor[], grads: readonly tf.Tensor[]): tf.Tensor[] {
  return tf.tidy(() => {
    const shapes = grads.map((g) => g.shape);
    const prior = acc instanceof Float32Array ? tensorsOf(viewsOf(acc, flatLayout(shapes)), shapes) : acc;
    if (prior.length !== grads.length) {
      throw new RangeError(`Cannot accumulate ${grads.length} gradients onto ${prior.length}`);
    }
    return grads.map((g, i) => tf.add(prior[i], g));
  });
}
