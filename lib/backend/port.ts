/**
 * Reading a tensor's values without a copy where the backend keeps them in JavaScript memory (`cpu`,
 * and `native`, a cpu backend instance): the optimizer reads every parameter, gradient and buffer once
 * per step, and a copy (or, on `native`, pinning the buffer out of its recycling pool) of each would
 * cost more than the update itself.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { takeBuffer } from "./native/buffer_pool.ts";

/** The numeric arrays a tensor can hold. */
export type NumericArray = Float32Array | Int32Array | Uint8Array;

interface JsStorage {
  data?: { get?(dataId: tf.DataId): { values?: unknown } | undefined };
}

/**
 * The values of `t`, to read now and not to keep or write: the backend's own array when it keeps one
 * (cpu, native), else a copy (`dataSync`).
 *
 * @example
 * ```ts
 * const v = peekValues(tf.tensor1d([1, 2])); // Float32Array [1, 2]
 * ```
 */
export function peekValues(t: tf.Tensor): NumericArray {
  const b = tf.engine().backend as unknown as JsStorage;
  const v = b.data?.get?.(t.dataId)?.values;
  if (v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint8Array) return v;
  return t.dataSync() as NumericArray;
}

/**
 * A float32 array of `length` values for a new tensor, contents undefined (write every value):
 * recycled from the native backend's buffer pool where there is one (a fresh array's first touch of
 * every page costs more than the loop that fills it), else new.
 */
export function newValues(length: number): Float32Array {
  return takeBuffer(tf.engine().backend as never, length);
}
