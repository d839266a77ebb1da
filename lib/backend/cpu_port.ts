/**
 * The port adapter of backends that keep tensors in JavaScript memory (tfjs `cpu`, and `native`, a cpu
 * backend instance): values read in place, without a copy.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { BackendPort, NumericArray } from "./port.ts";

interface JsStorage {
  data?: { get?(dataId: tf.DataId): { values?: unknown; refCount?: number } | undefined };
}

const typed = (v: unknown): NumericArray | undefined =>
  v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint8Array ? v : undefined;

/**
 * In-place access to the arrays of `backend` (a cpu-like backend instance): reads, and arrays that one
 * tensor alone holds (the backend's reference count of the storage is 1) for in-place updates.
 */
export function cpuArrays(backend: tf.KernelBackend): Required<Pick<BackendPort, "peek" | "owned">> {
  const store = backend as unknown as JsStorage;
  return {
    peek: (t) => typed(store.data?.get?.(t.dataId)?.values),
    owned(t: tf.Tensor): NumericArray | undefined {
      const d = store.data?.get?.(t.dataId);
      return d?.refCount === 1 ? typed(d.values) : undefined;
    },
  };
}
