/**
 * Initial weights for training from a checkpoint (`--weights`), as `train_dual.py` does with
 * `intersect_dicts`: every tensor whose name and shape match the new model is copied, the rest keep
 * their initialisation (e.g. a different `nc` drops only the class-output convs).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { mapTree, type Tree } from "../nn/tree.ts";
import { type RawTensor, toFloat32 } from "../io/raw_tensor.ts";
import { tfShape } from "../graph/init.ts";

/** A raw (PyTorch-layout) tensor as a tfjs tensor (OIHW -> HWIO; `num_batches_tracked` as int32). */
export function rawToTensor(t: RawTensor, name = ""): tf.Tensor {
  const data = toFloat32(t);
  if (name.endsWith("num_batches_tracked")) return tf.scalar(Math.round(data[0] ?? 0), "int32");
  if (t.shape.length !== 4) return tf.tensor(data, t.shape, "float32");
  return tf.tidy(() => tf.transpose(tf.tensor(data, t.shape, "float32"), [2, 3, 1, 0]));
}

/**
 * `intersect_dicts`: a new tree where each leaf with a same-named, same-shaped tensor in `sd` is
 * replaced by it (new tensors); others are shared with `weights`. Reports the transferred count.
 */
export function transferWeights(
  weights: Tree<tf.Tensor>,
  sd: ReadonlyMap<string, RawTensor>,
): { weights: Tree<tf.Tensor>; transferred: number; total: number; replaced: tf.Tensor[] } {
  let transferred = 0, total = 0;
  const replaced: tf.Tensor[] = [];
  const out = mapTree(weights, (t, name) => {
    total++;
    const raw = sd.get(name);
    const want = t.rank === 4 ? [t.shape[3], t.shape[2], t.shape[0], t.shape[1]] : t.shape;
    if (!raw || raw.shape.join() !== want.join() || tfShape(raw.shape).length !== t.rank) return t;
    transferred++;
    replaced.push(t);
    return rawToTensor(raw, name);
  });
  return { weights: out, transferred, total, replaced };
}
