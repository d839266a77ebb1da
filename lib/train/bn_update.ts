/**
 * BatchNorm running statistics after a train-mode forward, as `torch.nn.BatchNorm2d` updates them
 * (momentum 0.03 in every official model, `initialize_weights`): `running_mean = (1 - m) running_mean + m mean`,
 * `running_var = (1 - m) running_var + m var_unbiased` with `var_unbiased = var n / (n - 1)`,
 * `num_batches_tracked += 1`. Pure: returns a new tree.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { isTree, type Tree } from "../nn/tree.ts";
import { pack, unpack } from "./pack.ts";
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
  // Per channel: momentum x the layer's unbiasing factor n / (n - 1), computed in float64 as per layer.
  const varGain = Float32Array.from(layers.flatMap((t, i) => {
    const n = layerStats[i].count;
    return new Array((t.running_var as tf.Tensor).size).fill(momentum * (n > 1 ? n / (n - 1) : 1));
  }));
  // Packed: one update for all layers (pack.ts), the same float32 arithmetic as layer by layer.
  const [rm, rv, nbt] = tf.tidy(() => {
    const runningMean = leaf("running_mean");
    const shapes = runningMean.map((t) => t.shape);
    const mean = tf.add(tf.mul(pack(runningMean), 1 - momentum), tf.mul(pack(layerStats.map((s) => s.mean)), momentum));
    const variance = tf.add(
      tf.mul(pack(leaf("running_var")), 1 - momentum),
      tf.mul(pack(layerStats.map((s) => s.variance)), tf.tensor1d(varGain)),
    );
    const count = leaf("num_batches_tracked");
    const nbt = tf.add(pack(count), tf.scalar(1, count[0].dtype));
    return [unpack(mean, shapes), unpack(variance, shapes), unpack(nbt, count.map((t) => t.shape))];
  });
  const updated = new Map(layers.map((t, i) => [t, { running_mean: rm[i], running_var: rv[i], num_batches_tracked: nbt[i] }]));
  const walk = (t: Tree<tf.Tensor>): Tree<tf.Tensor> => {
    const out: Tree<tf.Tensor> = {};
    for (const [k, v] of Object.entries(t)) out[k] = isTree(v) ? walk(v) : v;
    return { ...out, ...updated.get(t) };
  };
  return walk(weights);
}
