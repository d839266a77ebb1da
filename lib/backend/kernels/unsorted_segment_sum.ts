/**
 * `UnsortedSegmentSum` in plain JS: missing on wasm, so `tf.gather` has no gradient there.
 *
 * out[segmentIds[i], ...] += x[i, ...] over the leading dims that segmentIds covers; ids outside
 * [0, numSegments) are dropped (as in TensorFlow).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { allocZeros, type Info, values } from "./util.ts";

/** Segment sum (TensorInfo level); float32 or int32 data. */
export function unsortedSegmentSumImpl(
  backend: unknown,
  x: Info,
  segmentIds: Info,
  attrs: tf.NamedAttrMap,
): Info {
  const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const idRank = segmentIds.shape.length;
  for (let i = 0; i < idRank; i++) {
    if (segmentIds.shape[i] !== x.shape[i]) {
      throw new Error(
        `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] is not a prefix of x [${x.shape}]`,
      );
    }
  }
  const inner = tf.util.sizeFromShape(x.shape.slice(idRank));
  const count = tf.util.sizeFromShape(segmentIds.shape);
  const dtype = x.dtype === "int32" ? "int32" : "float32";
  const out = allocZeros(backend, [numSegments, ...x.shape.slice(idRank)], dtype);
  const xv = values(backend, x);
  const ids = values(backend, segmentIds);
  const ov = values(backend, out);
  for (let i = 0; i < count; i++) {
    const s = ids[i];
    if (!(s >= 0 && s < numSegments)) continue;
    const src = i * inner, dst = s * inner;
    for (let k = 0; k < inner; k++) ov[dst + k] += xv[src + k];
  }
  return out;
}

/** Kernel function for `tf.registerKernel`. */
export function unsortedSegmentSumKernel(): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs as unknown as { x: Info; segmentIds: Info };
    return unsortedSegmentSumImpl(backend, x, segmentIds, attrs ?? {});
  };
}
