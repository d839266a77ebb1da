/**
 * Matrix products of {@link Matrix} values on the tfjs backend (float32): much faster than the plain
 * loops of linalg.ts for the large cross-products of the decoders, at float32 precision (ample for
 * standardised features and ridge penalties >= 1e-4 of the mean variance).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Matrix } from "./linalg.ts";

/**
 * `aᵀ b` (no centring) computed with tf.matMul; returned as float64. Reads synchronously: a CPU helper
 * for backends with synchronous reads (the IB analysis uses the float64 loop elsewhere, e.g. webgpu).
 */
export function tfCrossProduct(a: Matrix, b: Matrix): Matrix {
  if (a.rows !== b.rows) throw new RangeError(`Cannot form aᵀb: a has ${a.rows} rows, b has ${b.rows}`);
  const out = tf.tidy(() => {
    const ta = tf.tensor2d(Float32Array.from(a.data), [a.rows, a.cols]);
    const tb = tf.tensor2d(Float32Array.from(b.data), [b.rows, b.cols]);
    // An explicit transpose: BatchMatMul with transposeA is about 10x slower on wasm.
    return tf.matMul(tf.transpose(ta), tb);
  });
  const data = Float64Array.from(out.dataSync());
  out.dispose();
  return { rows: a.cols, cols: b.cols, data };
}
