/**
 * The `native` tfjs backend: an instance of tfjs' own `cpu` backend (tensor values stay JS
 * TypedArrays, which Deno's FFI hands to the shim without copies) whose heavy kernels run in the
 * native shim (oneDNN convolutions and GEMM, parallel elementwise, reduction, layout and pooling
 * loops). Every other kernel is the stock cpu one, plus the project's cpu kernel fixes.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { KERNEL_FIXES } from "../kernels/mod.ts";
import { loadNative, type NativeSymbols } from "./ffi.ts";
import type { CpuLikeBackend, KernelArgs, NativeKernel } from "./tensors.ts";
import { installPool, pinBuffer } from "./buffer_pool.ts";
import { profiling, recordKernel } from "./profile.ts";
import { recordCall } from "./trace.ts";
import { CONV_KERNELS } from "./conv_kernels.ts";
import { ELEMENTWISE_KERNELS } from "./elementwise_kernels.ts";
import { REDUCE_KERNELS } from "./reduce_kernels.ts";
import { LAYOUT_KERNELS } from "./layout_kernels.ts";
import { POOL_KERNELS } from "./pool_kernels.ts";
import { MATMUL_KERNELS } from "./matmul_kernels.ts";
import { FUSED_KERNELS, registerFusedGradients } from "./fused_kernels.ts";
import { nativePixelKernels } from "./pixel_ops.ts";
import { setPixelKernels } from "../../data/pixel_kernels.ts";

/** Name under which the backend registers with tfjs. */
export const NATIVE_BACKEND = "native";

/** Every native kernel, by tfjs kernel name. */
export const NATIVE_KERNELS: Readonly<Record<string, NativeKernel>> = {
  ...CONV_KERNELS,
  ...MATMUL_KERNELS,
  ...ELEMENTWISE_KERNELS,
  ...REDUCE_KERNELS,
  ...LAYOUT_KERNELS,
  ...POOL_KERNELS,
  ...FUSED_KERNELS,
};

/** Result of {@link registerNativeBackend}. */
export type NativeStatus =
  | { ok: true; library: string; dnnl: string; threads: number; adaptive: boolean; kernels: string[] }
  | { ok: false; reason: string };

let status: NativeStatus | undefined;

function wrap(
  name: string,
  native: NativeKernel | undefined,
  stock: tf.KernelFunc,
  lib: NativeSymbols,
): tf.KernelFunc {
  const kernel: tf.KernelFunc = (args) => {
    const t0 = profiling() ? performance.now() : 0;
    let out = native ? native(args as unknown as KernelArgs, lib) : null;
    const ran = out !== null;
    if (out === null) {
      out = stock(args) as tf.TensorInfo | tf.TensorInfo[];
      pinViews(args, out);
    }
    if (t0) recordKernel(name, ran, performance.now() - t0);
    recordCall(kernel, args, out);
    return out;
  };
  return kernel;
}

/**
 * A stock kernel whose output has its own data but a view of an input's storage (a contiguous
 * Slice, Unpack) pins that storage: it must never be recycled while the view may live.
 */
function pinViews(args: Parameters<tf.KernelFunc>[0], out: tf.TensorInfo | tf.TensorInfo[]): void {
  const backend = args.backend as unknown as CpuLikeBackend;
  const inputs = Object.values(args.inputs as tf.NamedTensorInfoMap);
  for (const o of Array.isArray(out) ? out : [out]) {
    const ov = backend.data.get(o.dataId)?.values;
    if (!ArrayBuffer.isView(ov)) continue;
    for (const i of inputs) {
      if (!i || i.dataId === o.dataId) continue; // shared by reference count (Reshape, Identity): safe
      const iv = backend.data.get(i.dataId)?.values;
      if (ArrayBuffer.isView(iv) && iv.buffer === ov.buffer) pinBuffer(backend, iv);
    }
  }
}

/**
 * Register the `native` backend with tfjs when the shim loads (idempotent). Returns the native
 * kernels and library, or why the backend is unavailable. Select it with `tf.setBackend("native")`
 * (or `initBackend("native")`).
 */
export function registerNativeBackend(): NativeStatus {
  if (status) return status;
  const load = loadNative();
  if (!load.ok) return status = { ok: false, reason: load.reason };
  const cpuFactory = tf.findBackendFactory("cpu");
  if (!cpuFactory) return status = { ok: false, reason: "tfjs cpu backend is not registered" };
  const lib = load.lib;
  const stock = new Map<string, tf.KernelFunc>();
  for (const k of tf.getKernelsForBackend("cpu")) stock.set(k.kernelName, k.kernelFunc);
  // The project's correctness fixes for cpu (pool and resize gradients), bound to this backend.
  for (const [name, factory] of Object.entries(KERNEL_FIXES.cpu ?? {})) {
    stock.set(name, factory(NATIVE_BACKEND));
  }
  const missing = (name: string): tf.KernelFunc => () => {
    throw new Error(
      `${name}: no kernel on the native backend for this case, expected a native or cpu kernel`,
    );
  };
  const names = new Set([...stock.keys(), ...Object.keys(NATIVE_KERNELS)]);
  for (const name of names) {
    if (tf.getKernel(name, NATIVE_BACKEND)) tf.unregisterKernel(name, NATIVE_BACKEND);
    tf.registerKernel({
      kernelName: name,
      backendName: NATIVE_BACKEND,
      kernelFunc: wrap(name, NATIVE_KERNELS[name], stock.get(name) ?? missing(name), lib),
    });
  }
  registerFusedGradients();
  setPixelKernels(nativePixelKernels(lib));
  tf.registerBackend(NATIVE_BACKEND, () => {
    const backend = cpuFactory() as tf.KernelBackend;
    installPool(backend as unknown as Parameters<typeof installPool>[0]);
    return backend;
  }, 0);
  return status = {
    ok: true,
    library: load.path,
    dnnl: load.dnnl,
    threads: load.threads,
    adaptive: load.adaptive,
    kernels: Object.keys(NATIVE_KERNELS),
  };
}
