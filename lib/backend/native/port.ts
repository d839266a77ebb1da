/**
 * The backend port adapter of `native`: its fused kernels, in-place array reads (a cpu backend
 * instance) and fresh arrays from its buffer pool.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { BackendPort } from "../port.ts";
import { cpuArrays } from "../cpu_port.ts";
import { takeBuffer } from "./buffer_pool.ts";
import { fusedAct, fusedBatchNormAct, fusedConvBiasAct } from "./fused_ops.ts";
import { NATIVE_BACKEND } from "./register.ts";

/** The adapter of the native backend instance `backend`. */
export function nativePort(backend: tf.KernelBackend): BackendPort {
  return {
    name: NATIVE_BACKEND,
    fusedConvBiasAct,
    fusedBatchNormAct,
    fusedAct,
    ...cpuArrays(backend),
    newValues: (length) => takeBuffer(backend as never, length),
  };
}
