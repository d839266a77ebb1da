/**
 * Weights for tests of inference paths (fusing, export): the official init with conv weights scaled by a
 * variance-preserving gain (He init for ReLU: activations keep their scale through depth, so outputs differ
 * across anchors instead of washing out), BatchNorm affine parameters and running statistics drawn from a
 * seeded generator (so that folding them is not a no-op), and the head's class biases set near `clsBias` so that
 * a random model has scores above the usual thresholds.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { mapTree, type Tree } from "../nn/tree.ts";
import type { ModelSpec } from "../graph/spec.ts";
import { initWeights } from "../graph/init.ts";

/** A seeded uniform generator in [0, 1) (mulberry32). */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Model weights for inference tests (see the module doc); the caller disposes them. */
export function randomModelWeights(
  spec: ModelSpec,
  o: { seed?: number; clsBias?: number; gain?: number } = {},
): Tree<tf.Tensor> {
  const base = initWeights(spec, { seed: o.seed ?? 0 });
  const rand = seededUniform((o.seed ?? 0) + 101);
  const gain = o.gain ?? Math.sqrt(6);
  const draw = (t: tf.Tensor, lo: number, hi: number) =>
    tf.tensor(Float32Array.from({ length: t.size }, () => lo + (hi - lo) * rand()), t.shape);
  const headCls = new RegExp(`^model\\.${spec.layers.length - 1}\\.cv[357]\\.\\d+\\.2\\.bias$`);
  return mapTree(base, (t, name) => {
    let r: tf.Tensor | null = null;
    if (name.endsWith("bn.running_mean")) r = draw(t, -0.2, 0.2);
    else if (name.endsWith("bn.running_var")) r = draw(t, 0.5, 1.5);
    else if (name.endsWith("bn.weight")) r = draw(t, 0.8, 1.2);
    else if (name.endsWith("bn.bias")) r = draw(t, -0.1, 0.1);
    else if (o.clsBias !== undefined && headCls.test(name)) r = draw(t, o.clsBias - 1, o.clsBias + 1);
    else if (t.rank === 4 && !/\.dfl\d?\./.test(name)) r = tf.mul(t, gain);
    if (!r) return t;
    t.dispose();
    return r;
  });
}
