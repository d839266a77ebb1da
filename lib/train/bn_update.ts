/**
 * BatchNorm running statistics after a train-mode forward, as `torch.nn.BatchNorm2d` updates them
 * (momentum 0.03 in every official model, `initialize_weights`): `running_mean = (1 - m) running_mean + m mean`,
 * `running_var = (1 - m) running_var + m var_unbiased` with `var_unbiased = var n / (n - 1)`,
 * `num_batches_tracked += 1`. Pure: returns a new tree.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { isTree, type Tree } from "../nn/tree.ts";
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
  let seen = 0;
  const walk = (t: Tree<tf.Tensor>): Tree<tf.Tensor> => {
    const s = stats.get(t);
    const out: Tree<tf.Tensor> = {};
    for (const [k, v] of Object.entries(t)) out[k] = isTree(v) ? walk(v) : v;
    if (s) {
      seen++;
      const rm = t.running_mean as tf.Tensor, rv = t.running_var as tf.Tensor, nbt = t.num_batches_tracked as tf.Tensor;
      const unbias = s.count > 1 ? s.count / (s.count - 1) : 1;
      out.running_mean = tf.tidy(() => tf.add(tf.mul(rm, 1 - momentum), tf.mul(s.mean, momentum)));
      out.running_var = tf.tidy(() => tf.add(tf.mul(rv, 1 - momentum), tf.mul(s.variance, momentum * unbias)));
      out.num_batches_tracked = tf.tidy(() => tf.add(nbt, tf.scalar(1, nbt.dtype)));
    }
    return out;
  };
  const out = walk(weights);
  if (seen !== stats.size) {
    throw new RangeError(`Cannot update BatchNorm statistics: ${stats.size - seen} of ${stats.size} layers are not in the weight tree`);
  }
  return out;
}
