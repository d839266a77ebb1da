/**
 * Weight initialisation as in the official code: PyTorch defaults for convs (uniform +-1/sqrt(fan_in)
 * for weight and bias), BatchNorm weight 1 / bias 0 / running mean 0 / var 1, the fixed DFL weights
 * 0..15, then the detect-head bias init (`DDetect.bias_init`: box 1.0, class ln(5 / nc / (640/s)^2); YOLOv7's
 * IDetect: `initIDetect`).
 * Seeded: the same seed gives the same weights.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { flattenTree, getPath, leaf, mapTree, type Tree } from "../nn/tree.ts";
import { branchKeys } from "../head/ddetect.ts";
import { type IDetectArgs, initIDetect } from "../head/idetect.ts";
import { isAnchorBased, modelShapes, type ModelSpec } from "./spec.ts";

/** Convert a PyTorch-order shape to the tfjs layout (conv weights OIHW -> HWIO). */
export function tfShape(shape: number[]): number[] {
  return shape.length === 4 ? [shape[2], shape[3], shape[1], shape[0]] : shape;
}

function fanIn(shape: number[]): number {
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

/**
 * Initialise a shape tree (PyTorch-order shapes) as tensors in the tfjs layout: conv weights and
 * biases uniform in +-1/sqrt(fan_in), BatchNorm affine 1/0 and statistics 0/1, DFL weights 0..15.
 */
export function initTree(shapes: Tree<number[]>, opts: { seed?: number } = {}): Tree<tf.Tensor> {
  const flat = new Map(flattenTree(shapes));
  let k = 0;
  const seed = opts.seed ?? 0;
  return mapTree(shapes, (shape, name): tf.Tensor => {
    const key = name.slice(name.lastIndexOf(".") + 1);
    const owner = name.slice(0, name.lastIndexOf("."));
    if (key === "num_batches_tracked") return tf.scalar(0, "int32");
    if (key === "running_mean") return tf.zeros(shape);
    if (key === "running_var") return tf.ones(shape);
    if (/(^|\.)dfl\d?\.conv$/.test(owner)) return tf.tidy(() => tf.range(0, shape[1]).reshape(tfShape(shape)));
    const wShape = key === "weight" ? shape : flat.get(`${owner}.weight`);
    if (wShape && wShape.length === 4) {
      const bound = 1 / Math.sqrt(fanIn(wShape));
      return tf.randomUniform(tfShape(shape), -bound, bound, "float32", seed * 7919 + k++);
    }
    return key === "weight" ? tf.ones(shape) : tf.zeros(shape); // BatchNorm affine
  });
}

/** Initialise every weight of a model (tfjs layout), with the head bias init. */
export function initWeights(spec: ModelSpec, opts: { seed?: number } = {}): Tree<tf.Tensor> {
  const tree = initTree(modelShapes(spec), opts);
  const head = spec.layers[spec.layers.length - 1];
  if (isAnchorBased(spec)) initIDetect(tree, `model.${head.i}`, head.args as unknown as IDetectArgs, spec.strides, opts.seed);
  else applyHeadBiasInit(spec, tree);
  return tree;
}

/** `bias_init` of the detect heads, in place on a weight tree (old bias tensors are disposed). */
export function applyHeadBiasInit(spec: ModelSpec, tree: Tree<tf.Tensor>): void {
  const head = spec.layers[spec.layers.length - 1];
  for (let b = 0; b < spec.branches; b++) {
    const keys = branchKeys(b);
    spec.strides.forEach((s, i) => {
      const box = getPath(tree, `model.${head.i}.${keys.box}.${i}.2`) as Tree<tf.Tensor>;
      const cls = getPath(tree, `model.${head.i}.${keys.cls}.${i}.2`) as Tree<tf.Tensor>;
      const oldBox = leaf(box, "bias");
      const oldCls = leaf(cls, "bias");
      box.bias = tf.fill(oldBox.shape, 1.0);
      cls.bias = tf.fill(oldCls.shape, Math.log(5 / spec.nc / (640 / s) ** 2));
      oldBox.dispose();
      oldCls.dispose();
    });
  }
}
