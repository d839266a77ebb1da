/**
 * BatchNorm running statistics after a train-mode forward, as `torch.nn.BatchNorm2d` updates them
 * (momentum 0.03 in every official model, `initialize_weights`): `running_mean = (1 - m) running_mean + m mean`,
 * `running_var = (1 - m) running_var + m var_unbiased` with `var_unbiased = var n / (n - 1)`,
 * `num_batches_tracked += 1`. Pure: returns a new tree (unless the caller donates it: `inPlace`).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { isTree, type Tree } from "../nn/tree.ts";
import { axpbyArrays, newValues, ownedValues, peekValues } from "../backend/port.ts";
import { tensorsOf } from "./flat.ts";
import type { BatchStats } from "../nn/tensor_ops.ts";

/** BatchNorm momentum of the official models (PyTorch convention). */
export const BN_MOMENTUM = 0.03;

/**
 * A new weight tree whose BatchNorm subtrees found in `stats` (keyed by the subtree objects of
 * `weights` that the forward used) carry updated running statistics; every other leaf is shared.
 * New tensors: `running_mean`, `running_var`, `num_batches_tracked` of the updated layers. With
 * `inPlace` (a donated state: the caller never uses `weights` again) and every one of those leaves'
 * storage its own, they are updated in place and `weights` itself is returned.
 */
export function updateBatchNormStats(
  weights: Tree<tf.Tensor>,
  stats: ReadonlyMap<Tree<tf.Tensor>, BatchStats>,
  momentum = BN_MOMENTUM,
  o: { inPlace?: boolean } = {},
): Tree<tf.Tensor> {
  const layers = batchNormLayers(weights, stats);
  if (!layers.length) return weights;
  const leaf = (k: string) => layers.map((t) => t[k] as tf.Tensor);
  const layerStats = layers.map((t) => stats.get(t)!);
  const f = Math.fround, keep = f(1 - momentum), m = f(momentum);
  const runningMean = leaf("running_mean"), runningVar = leaf("running_var"), count = leaf("num_batches_tracked");
  const shapes = runningMean.map((t) => t.shape);
  const own = (ts: tf.Tensor[]) => (o.inPlace ? ts.map(ownedValues) : []);
  const ownMean = own(runningMean), ownVar = own(runningVar), ownCount = own(count);
  const inPlace = o.inPlace === true && [...ownMean, ...ownVar].every((v) => v instanceof Float32Array) &&
    ownCount.every((v) => v instanceof Float32Array || v instanceof Int32Array);
  const fresh = () => runningMean.map((t) => newValues(t.size));
  const mean = inPlace ? ownMean as Float32Array[] : fresh(), variance = inPlace ? ownVar as Float32Array[] : fresh();
  // One pass over all layers' values (flat.ts; two native calls where the backend has them), the
  // float32 arithmetic of the per-layer tensor ops.
  const rm = runningMean.map(peekValues), rv = runningVar.map(peekValues);
  const bm = layerStats.map((s) => peekValues(s.mean)), bv = layerStats.map((s) => peekValues(s.variance));
  const gains = layerStats.map((s) => unbiasedGain(momentum, s.count));
  const native = axpbyArrays(rm, bm, mean, Float32Array.from(layers.flatMap(() => [keep, m]))) &&
    axpbyArrays(rv, bv, variance, Float32Array.from(gains.flatMap((g) => [keep, g])));
  if (!native) {
    layers.forEach((_, i) => {
      const om = mean[i], ov = variance[i], gain = gains[i];
      for (let j = 0; j < rm[i].length; j++) {
        om[j] = f(rm[i][j] * keep) + f(bm[i][j] * m);
        ov[j] = f(rv[i][j] * keep) + f(bv[i][j] * gain);
      }
    });
  }
  const counts = count.map((t) => peekValues(t)[0] + 1);
  if (inPlace) {
    ownCount.forEach((v, i) => v![0] = counts[i]);
    return weights;
  }
  const nbt = tensorsOf(
    counts.map((c) => (count[0].dtype === "int32" ? Int32Array.of(c) : Float32Array.of(c))),
    count.map((t) => t.shape),
  );
  const [nm, nv] = [tensorsOf(mean, shapes), tensorsOf(variance, shapes)];
  return withLayers(weights, new Map(layers.map((t, i) => [t, { running_mean: nm[i], running_var: nv[i], num_batches_tracked: nbt[i] }])));
}

/**
 * {@link updateBatchNormStats} as tensor ops (nothing read; for webgpu): `rm keep + bm m`,
 * `rv keep + bv gain` and `num_batches_tracked + 1`, the arithmetic of the array update.
 *
 * @example
 * ```ts
 * const next = updateBatchNormStatsDevice(weights, stats); // stats: the BatchStats of a train-mode forward
 * ```
 */
export function updateBatchNormStatsDevice(
  weights: Tree<tf.Tensor>,
  stats: ReadonlyMap<Tree<tf.Tensor>, BatchStats>,
  momentum = BN_MOMENTUM,
): Tree<tf.Tensor> {
  const layers = batchNormLayers(weights, stats);
  if (!layers.length) return weights;
  const f = Math.fround;
  const updated = tf.tidy(() => {
    const keep = tf.scalar(f(1 - momentum)), m = tf.scalar(f(momentum));
    const gains = new Map<number, tf.Scalar>();
    const gain = (n: number) => gains.get(n) ?? gains.set(n, tf.scalar(unbiasedGain(momentum, n))).get(n)!;
    return layers.map((t) => {
      const s = stats.get(t)!, count = t.num_batches_tracked as tf.Tensor;
      return {
        running_mean: tf.add(tf.mul(t.running_mean as tf.Tensor, keep), tf.mul(s.mean, m)),
        running_var: tf.add(tf.mul(t.running_var as tf.Tensor, keep), tf.mul(s.variance, gain(s.count))),
        num_batches_tracked: tf.add(count, tf.scalar(1, count.dtype)),
      };
    });
  });
  return withLayers(weights, new Map(layers.map((t, i) => [t, updated[i]])));
}

/**
 * Momentum x the unbiasing factor n / (n - 1) of a layer's batch variance over n values, computed in
 * float64 and rounded once to float32.
 */
function unbiasedGain(momentum: number, n: number): number {
  return Math.fround(momentum * (n > 1 ? n / (n - 1) : 1));
}

/** The BatchNorm subtrees of `weights` that `stats` has statistics of (all of them, or an error). */
function batchNormLayers(weights: Tree<tf.Tensor>, stats: ReadonlyMap<Tree<tf.Tensor>, BatchStats>): Tree<tf.Tensor>[] {
  const layers: Tree<tf.Tensor>[] = [];
  const find = (t: Tree<tf.Tensor>): void => {
    if (stats.has(t)) layers.push(t);
    for (const v of Object.values(t)) if (isTree(v)) find(v);
  };
  find(weights);
  if (layers.length !== stats.size) {
    throw new RangeError(
      `Cannot update BatchNorm statistics: ${stats.size - layers.length} of ${stats.size} layers are not in the weight tree`,
    );
  }
  return layers;
}

/** A copy of `weights` whose subtrees in `updated` carry the given leaves; every other leaf is shared. */
function withLayers(weights: Tree<tf.Tensor>, updated: ReadonlyMap<Tree<tf.Tensor>, Record<string, tf.Tensor>>): Tree<tf.Tensor> {
  const walk = (t: Tree<tf.Tensor>): Tree<tf.Tensor> => {
    const out: Tree<tf.Tensor> = {};
    for (const [k, v] of Object.entries(t)) out[k] = isTree(v) ? walk(v) : v;
    return { ...out, ...updated.get(t) };
  };
  return walk(weights);
}
