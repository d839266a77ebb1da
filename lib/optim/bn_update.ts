/**
 * BatchNorm running statistics after a train-mode forward, as `torch.nn.BatchNorm2d` updates them
 * (momentum 0.03 in every official model, `initialize_weights`): `running_mean = (1 - m) running_mean + m mean`,
 * `running_var = (1 - m) running_var + m var_unbiased` with `var_unbiased = var n / (n - 1)`,
 * `num_batches_tracked += 1`. Pure: returns a new tree.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { isTree, type Tree } from "../nn/tree.ts";
import { newValues, peekValues } from "../backend/port.ts";
import { tensorsOf } from "./flat.ts";
import type { BatchStats } from "../nn/tensor_ops.ts";

/** BatchNorm momentum of the official models (PyTorch convention). */
export const BN_MOMENTUM = 0.03;

/**
 * A new weight tree whose BatchNorm subtrees found in `stats` (keyed by the subtree objects of
 * `weights` that the forward used) carry updated running statistics; every other leaf is shared.
 * New tensors: `running_mean`, `running_var`, `num_batches_tracked` of the updated layers.
 */
export function updateBatchNormStats(
  weights: Tree<tf.Tensor>,
  stats: ReadonlyMap<Tree<tf.Tensor>, BatchStats>,
  momentum = BN_MOMENTUM,
): Tree<tf.Tensor> {
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
  if (!layers.length) return weights;
  const leaf = (k: string) => layers.map((t) => t[k] as tf.Tensor);
  const layerStats = layers.map((t) => stats.get(t)!);
  const f = Math.fround, keep = f(1 - momentum), m = f(momentum);
  const runningMean = leaf("running_mean"), runningVar = leaf("running_var"), count = leaf("num_batches_tracked");
  const shapes = runningMean.map((t) => t.shape);
  const mean = runningMean.map((t) => newValues(t.size)), variance = runningMean.map((t) => newValues(t.size));
  // One loop over all layers' values (flat.ts), the float32 arithmetic of the per-layer tensor ops. Per
  // layer: momentum x the unbiasing factor n / (n - 1), computed in float64 and rounded once.
  layers.forEach((_, i) => {
    const s = layerStats[i], om = mean[i], ov = variance[i];
    const n = s.count, gain = f(momentum * (n > 1 ? n / (n - 1) : 1));
    const rm = peekValues(runningMean[i]), rv = peekValues(runningVar[i]);
    const bm = peekValues(s.mean), bv = peekValues(s.variance);
    for (let j = 0; j < rm.length; j++) {
      om[j] = f(rm[j] * keep) + f(bm[j] * m);
      ov[j] = f(rv[j] * keep) + f(bv[j] * gain);
    }
  });
  const counts = count.map((t) => peekValues(t)[0] + 1);
  const nbt = tensorsOf(
    counts.map((c) => (count[0].dtype === "int32" ? Int32Array.of(c) : Float32Array.of(c))),
    count.map((t) => t.shape),
  );
  const [rm, rv] = [tensorsOf(mean, shapes), tensorsOf(variance, shapes)];
  const updated = new Map(layers.map((t, i) => [t, { running_mean: rm[i], running_var: rv[i], num_batches_tracked: nbt[i] }]));
  const walk = (t: Tree<tf.Tensor>): Tree<tf.Tensor> => {
    const out: Tree<tf.Tensor> = {};
    for (const [k, v] of Object.entries(t)) out[k] = isTree(v) ? walk(v) : v;
    return { ...out, ...updated.get(t) };
  };
  return walk(weights);
}
