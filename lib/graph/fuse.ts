/**
 * Fusing for inference (models/yolo.py `fuse`): every Conv + BatchNorm pair folded into one conv
 * with bias, every RepConvN 3x3 + 1x1 pair merged into one 3x3 conv (paper Sec. 4.2, RepConv), every
 * YOLOv7 RepConv (`rbr_dense` + `rbr_1x1`) merged into `rbr_reparam`, and YOLOv7's IDetect implicit
 * layers folded into its output convs (`IDetect.fuse`).
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
  /**
   * A BN identity branch as a fused 1x1 conv `{weight, bias}`, with the input channels per group of
   * `like` (a conv of the same block, `{weight}`).
   */
  identity(bn: Tree<L>, like: Tree<L>): Tree<L>;
  /** 1x1 conv `{weight, bias}` after ImplicitA `{implicit}` and before ImplicitM `{implicit}` -> one conv. */
  implicit(conv: Tree<L>, ia: Tree<L>, im: Tree<L>): Tree<L>;
}

function seqUnit<L>(t: Tree<L> | L | undefined): { conv: Tree<L>; bn: Tree<L> } | undefined {
  return isTree(t) && isTree(t[0]) && isTree(t[1]) ? { conv: t[0], bn: t[1] } : undefined;
}

/** Fold a tree bottom-up with `f`; subtrees that are not Conv units or RepConvN pairs are kept. */
export function fuseTree<L>(tree: Tree<L>, f: Folder<L>): Tree<L> {
  const out: Tree<L> = {};
  for (const [k, v] of Object.entries(tree)) out[k] = isTree(v) ? fuseTree(v, f) : v;
  if (isTree(out.conv) && isTree(out.bn)) {
    const { bn: _bn, ...rest } = out;
    return { ...rest, conv: f.convBn(out.conv, out.bn) };
  }
  const dense = seqUnit(out.rbr_dense), one = seqUnit(out.rbr_1x1);
  if (dense && one) {
    const k = f.rep(f.convBn(dense.conv, dense.bn), f.convBn(one.conv, one.bn));
    return { rbr_reparam: isTree(out.rbr_identity) ? f.rep(k, f.identity(out.rbr_identity, dense.conv)) : k };
  }
  if (isTree(out.m) && isTree(out.ia) && isTree(out.im)) {
    const { m, ia, im } = out;
    const folded: Tree<L> = {};
    for (const k of Object.keys(m)) folded[k] = f.implicit(m[k] as Tree<L>, ia[k] as Tree<L>, im[k] as Tree<L>);
    return { m: folded };
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
  identity: (bn, like) => {
    const [c, cg] = leaf(like, "weight");
    return { weight: [c, cg, 1, 1], bias: leaf(bn, "bias") };
  },
  implicit: (conv) => conv,
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
  identity: (bn, like) =>
    tf.tidy(() => {
      // HWIO [1, 1, c / g, c]: input channel i % (c / g) of output i (the reference's id_tensor), then BN folded.
      const [, , cg, c] = leaf(like, "weight").shape as number[];
      const eye = new Float32Array(cg * c);
      for (let i = 0; i < c; i++) eye[(i % cg) * c + i] = 1;
      return TENSOR_FOLDER.convBn({ weight: tf.tensor4d(eye, [1, 1, cg, c]) }, bn);
    }),
  implicit: (conv, ia, im) =>
    tf.tidy(() => {
      // HWIO [1, 1, cin, cout]: bias' = (b + W^T ia) * im, W' = W * im (per output channel).
      const w = leaf(conv, "weight");
      const [cin, cout] = [w.shape[2] as number, w.shape[3] as number];
      const a = tf.reshape(leaf(ia, "implicit"), [1, cin]);
      const m = tf.reshape(leaf(im, "implicit"), [cout]);
      const shift = tf.reshape(tf.matMul(a, tf.reshape(w, [cin, cout])), [cout]);
      return { weight: tf.mul(w, m), bias: tf.mul(tf.add(leaf(conv, "bias"), shift), m) };
    }),
};

/**
 * Fuse a weight tree for inference; new tensors are created only for folded convs (the per-conv
 * folds of a RepConvN pair, merged into one 3x3, are freed).
 */
export function fuseWeights(tree: Tree<tf.Tensor>): Tree<tf.Tensor> {
  return tf.tidy(() => fuseTree(tree, TENSOR_FOLDER) as tf.TensorContainer) as Tree<tf.Tensor>;
}
