/**
 * Fusing for inference (models/yolo.py `fuse`): every Conv + BatchNorm pair folded into one conv
 * with bias, every RepConvN 3x3 + 1x1 pair merged into one 3x3 conv (paper Sec. 4.2, RepConv).
 * The walk is generic over the leaf type, so it serves tensors and shape-only trees alike.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { isTree, leaf, type Tree } from "../nn/tree.ts";
import { BN_EPS } from "../nn/tensor_ops.ts";

/** How to fold leaves of one kind. */
export interface Folder<L> {
  /** Conv `{weight[, bias]}` + BN `{weight, bias, running_mean, running_var}` -> `{weight, bias}`. */
  convBn(conv: Tree<L>, bn: Tree<L>): Tree<L>;
  /** Fused 3x3 `{weight, bias}` + fused 1x1 `{weight, bias}` -> one 3x3 `{weight, bias}`. */
  rep(k3: Tree<L>, k1: Tree<L>): Tree<L>;
}

/** Fold a tree bottom-up with `f`; subtrees that are not Conv units or RepConvN pairs are kept. */
export function fuseTree<L>(tree: Tree<L>, f: Folder<L>): Tree<L> {
  const out: Tree<L> = {};
  for (const [k, v] of Object.entries(tree)) out[k] = isTree(v) ? fuseTree(v, f) : v;
  if (isTree(out.conv) && isTree(out.bn)) {
    const { bn: _bn, ...rest } = out;
    return { ...rest, conv: f.convBn(out.conv, out.bn) };
  }
  const c1 = out.conv1;
  const c2 = out.conv2;
  if (isTree(c1) && isTree(c2) && isTree(c1.conv) && isTree(c2.conv) && !c1.bn && !c2.bn) {
    return { conv: f.rep(c1.conv, c2.conv) };
  }
  return out;
}

/** Folder for PyTorch-order shapes (parameter counting). */
export const SHAPE_FOLDER: Folder<number[]> = {
  convBn: (conv) => ({ weight: leaf(conv, "weight"), bias: [leaf(conv, "weight")[0]] }),
  rep: (k3) => ({ weight: leaf(k3, "weight"), bias: leaf(k3, "bias") }),
};

/** Folder for tfjs tensors (HWIO weights). Returns new tensors; the inputs are not disposed. */
export const TENSOR_FOLDER: Folder<tf.Tensor> = {
  convBn: (conv, bn) =>
    tf.tidy(() => {
      const w = leaf(conv, "weight");
      const scale = tf.div(leaf(bn, "weight"), tf.sqrt(tf.add(leaf(bn, "running_var"), BN_EPS)));
      let b = tf.sub(leaf(bn, "bias"), tf.mul(leaf(bn, "running_mean"), scale));
      if (conv.bias) b = tf.add(b, tf.mul(leaf(conv, "bias"), scale));
      return { weight: tf.mul(w, scale), bias: b };
    }),
  rep: (k3, k1) =>
    tf.tidy(() => ({
      weight: tf.add(leaf(k3, "weight"), tf.pad(leaf(k1, "weight"), [[1, 1], [1, 1], [0, 0], [0, 0]])),
      bias: tf.add(leaf(k3, "bias"), leaf(k1, "bias")),
    })),
};

/**
 * Fuse a weight tree for inference; new tensors are created only for folded convs (the per-conv
 * folds of a RepConvN pair, merged into one 3x3, are freed).
 */
export function fuseWeights(tree: Tree<tf.Tensor>): Tree<tf.Tensor> {
  return tf.tidy(() => fuseTree(tree, TENSOR_FOLDER) as tf.TensorContainer) as Tree<tf.Tensor>;
}
