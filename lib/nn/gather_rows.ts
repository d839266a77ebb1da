/**
 * Rows of a matrix by index, with a linear-time gradient. `tf.gather`'s gradient is an
 * UnsortedSegmentSum over every row of the source, which tfjs' cpu kernel computes segment by segment
 * (rows x indices): for the YOLOv7 loss (a few hundred positives out of ~16,000 anchor cells per
 * batch) that is seconds per step. Here the gradient scatters the incoming rows back with
 * `tf.scatterND`, which sums duplicate indices (a cell that is the positive of several targets).
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * `x[idx]` for a 2-D `x` (rows), differentiable in `x`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { gatherRows } from "./gather_rows.ts";
 * gatherRows(tf.tensor2d([[1, 2], [3, 4]]), [1, 1]).print(); // [[3, 4], [3, 4]]
 * ```
 */
export function gatherRows(x: tf.Tensor2D, idx: ArrayLike<number>): tf.Tensor2D {
  const rows = x.shape[0];
  for (let k = 0; k < idx.length; k++) {
    if (!(idx[k] >= 0 && idx[k] < rows)) throw new RangeError(`gatherRows: index ${idx[k]} outside 0..${rows - 1}`);
  }
  const f = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, save] = inputs as [tf.Tensor, tf.GradSaveFunc];
    const i = tf.tensor1d(Int32Array.from(idx), "int32");
    save([i]);
    return {
      value: tf.gather(xs, i),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.scatterND(tf.reshape(saved[0], [-1, 1]), dy, x.shape),
    };
  });
  return f(x) as tf.Tensor2D;
}
