/**
 * The backend port adapter of `native`: its fused kernels, in-place array reads and updates (a cpu
 * backend instance), fresh arrays from its buffer pool, kernel recordings (trace.ts), the optimizer's
 * updates over many arrays in one call (optim_ops.ts) and the loss' head decoding (loss_ops.ts).
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { BackendPort } from "../port.ts";
import { cpuArrays } from "../cpu_port.ts";
import { takeBuffer } from "./buffer_pool.ts";
import { fusedAct, fusedBatchNormAct, fusedConvBiasAct } from "./fused_ops.ts";
import { NATIVE_BACKEND } from "./register.ts";
import { recordKernels, recordRead } from "./trace.ts";
import { loadNative } from "./ffi.ts";
import { axpbyMulti, sgdMulti } from "./optim_ops.ts";
import { lossDecode } from "./loss_ops.ts";

/** The adapter of the native backend instance `backend`. */
export function nativePort(backend: tf.KernelBackend): BackendPort {
  const arrays = cpuArrays(backend);
  const load = loadNative();
  const lib = load.ok ? load.lib : null;
  return {
    name: NATIVE_BACKEND,
    fusedConvBiasAct,
    fusedBatchNormAct,
    fusedAct,
    peek: (t) => (recordRead(), arrays.peek(t)),
    owned: (t) => (recordRead(), arrays.owned(t)),
    recordKernels,
    ...(lib
      ? {
        sgdArrays: (a) => sgdMulti(lib, a),
        axpbyArrays: (x, y, out, ab) => axpbyMulti(lib, x, y, out, ab),
        decodeLossArrays: (a) => lossDecode(lib, a),
      }
      : {}),
    newValues: (length) => takeBuffer(backend as never, length),
  };
}
