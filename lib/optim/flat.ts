/**
 * The optimizer, the EMA and the BatchNorm statistics update work on plain arrays. They are
 * elementwise over hundreds of small tensors: as tfjs ops each tensor costs several kernel calls per
 * step (thousands in all), whose fixed overhead dominates a CPU training step. Here each update is one
 * loop over the tensors' values (read without copies where the backend allows, `peekValues`), with
 * `Math.fround` after every operation so that the arithmetic is the float32 arithmetic of the tensor
 * ops it replaces, and the results become tensors again (over arrays from `newValues`, recycled by
 * the native backend).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type NumericArray, peekValues } from "../backend/port.ts";

/** Where tensors of some shapes lie when laid end to end in one array. */
export interface FlatLayout {
  /** Start of each tensor. */
  offsets: number[];
  sizes: number[];
  total: number;
}

/** The layout of tensors of these shapes, in order. */
export function flatLayout(shapes: readonly number[][]): FlatLayout {
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const offsets: number[] = [];
  let total = 0;
  for (const n of sizes) {
    offsets.push(total);
    total += n;
  }
  return { offsets, sizes, total };
}

/** The values of each tensor (see `peekValues`: read them now, do not keep or write them). */
export function valuesOf(tensors: readonly tf.Tensor[]): NumericArray[] {
  return tensors.map(peekValues);
}

/** The part of `flat` that belongs to each tensor of the layout (views, no copies). */
export function viewsOf<A extends Float32Array | Int32Array>(flat: A, layout: FlatLayout): A[] {
  if (flat.length !== layout.total) {
    throw new RangeError(`Cannot split ${flat.length} values into shapes totalling ${layout.total}`);
  }
  return layout.offsets.map((o, i) => flat.subarray(o, o + layout.sizes[i]) as A);
}

/**
 * Tensors of these shapes over these arrays (no copies where the backend keeps arrays: the caller must
 * not write them afterwards). int32 for an Int32Array, else float32.
 *
 * @example
 * ```ts
 * const [a, b] = tensorsOf([Float32Array.of(1, 2), Float32Array.of(3)], [[2], []]); // [1, 2] and 3
 * ```
 */
export function tensorsOf(
  arrays: readonly (Float32Array | Int32Array)[],
  shapes: readonly number[][],
): tf.Tensor[] {
  const engine = tf.engine();
  // The engine's own constructor: tf.tensor's value checks cost twice the tensor itself, here per leaf.
  return arrays.map((v, i) => {
    const size = shapes[i].reduce((a, b) => a * b, 1);
    if (v.length !== size) {
      throw new RangeError(`Cannot make a tensor of shape [${shapes[i]}] from ${v.length} values`);
    }
    return engine.makeTensor(v, shapes[i], v instanceof Int32Array ? "int32" : "float32") as tf.Tensor;
  });
}

/** `a + b` elementwise in float32, as a new array or into `out` (which may be `a`; gradient accumulation). */
export function addFloat32(a: Float32Array, b: Float32Array, out: Float32Array = new Float32Array(a.length)): Float32Array {
  if (a.length !== b.length || out.length !== a.length) {
    throw new RangeError(`Cannot add arrays of ${a.length} and ${b.length} values into ${out.length}`);
  }
  for (let j = 0; j < a.length; j++) out[j] = a[j] + b[j];
  return out;
}

/** The values of `tensors` laid end to end in one new array (float32; nulls stand for zeros). */
export function flatten(tensors: readonly (tf.Tensor | null)[], layout: FlatLayout): Float32Array {
  const out = new Float32Array(layout.total);
  tensors.forEach((t, i) => {
    if (t) out.set(peekValues(t), layout.offsets[i]);
  });
  return out;
}
