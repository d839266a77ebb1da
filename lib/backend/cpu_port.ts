/**
 * The port adapter of backends that keep tensors in JavaScript memory (tfjs `cpu`, and `native`, a cpu
 * backend instance): values read in place, without a copy.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { BackendPort, NumericArray } from "./port.ts";

interface JsStorage {
  data?: { get?(dataId: tf.DataId): { values?: unknown } | undefined };
}

/** Read-in-place access to the arrays of `backend` (a cpu-like backend instance). */
export function cpuArrays(backend: tf.KernelBackend): Required<Pick<BackendPort, "peek">> {
  const store = backend as unknown as JsStorage;
  return {
    peek(t: tf.Tensor): NumericArray | undefined {
      const v = store.data?.get?.(t.dataId)?.values;
      return v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint8Array ? v : undefined;
    },
  };
}
