/**
 * The WebGPU backend (`@tensorflow/tfjs-backend-webgpu`) on the runtime's `navigator.gpu`: the adapter
 * it runs on (a real GPU, or a software fallback adapter such as llvmpipe), and its port adapter.
 * Synchronous reads (`dataSync`) cannot work under Deno (tfjs draws through a 2D canvas), so the port
 * downloads values when asked ({@link BackendPort.fetch}) and reads only downloaded values.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { BackendPort, NumericArray } from "./port.ts";

/** What the WebGPU adapter says of itself. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  /** True for a software adapter (no GPU). */
  fallback: boolean;
}

interface AdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

/** The adapter `navigator.gpu` gives (as tfjs asks for it), or null where there is none. */
export async function probeAdapter(): Promise<AdapterSummary | null> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(o?: object): Promise<AdapterLike | null> } })?.gpu;
  if (!gpu) return null;
  let a: AdapterLike | null;
  try {
    a = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch {
    return null;
  }
  if (!a) return null;
  const i = a.info ?? {};
  return {
    vendor: i.vendor ?? "",
    architecture: i.architecture ?? "",
    description: i.description ?? "",
    fallback: !!(i.isFallbackAdapter ?? a.isFallbackAdapter),
  };
}

/**
 * Whether this machine may have a GPU for WebGPU: on Linux a DRM render node or an NVIDIA device node
 * (without one, `navigator.gpu` can only give the software fallback adapter, and opening that next to
 * the native backend crashes the process at exit); elsewhere true.
 */
export function gpuDeviceNodes(): boolean {
  if (typeof Deno === "undefined" || Deno.build.os !== "linux") return true;
  try {
    for (const e of Deno.readDirSync("/dev/dri")) if (e.name.startsWith("renderD")) return true;
  } catch {
    // no DRM devices
  }
  try {
    Deno.statSync("/dev/nvidia0");
    return true;
  } catch {
    return false;
  }
}

/** One line naming the adapter: description, vendor, architecture, fallback or GPU. */
export function describeAdapter(a: AdapterSummary): string {
  const what = a.description ? `${a.description}, ` : "";
  return `${what}vendor ${a.vendor || "?"}, architecture ${a.architecture || "?"}, ` +
    (a.fallback ? "fallback adapter (software, no GPU)" : "GPU");
}

interface GpuStorage {
  tensorMap?: { get?(dataId: tf.DataId): { values?: unknown } | undefined };
}

/** The port adapter of the webgpu backend instance. */
export function webgpuPort(backend: tf.KernelBackend): BackendPort {
  const store = backend as unknown as GpuStorage;
  const cached = (t: tf.Tensor) => store.tensorMap?.get?.(t.dataId)?.values;
  return {
    name: "webgpu",
    peek(t: tf.Tensor): NumericArray {
      const v = cached(t);
      if (v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint8Array) return v;
      throw new Error(
        `Cannot read a ${t.dtype} tensor of shape [${t.shape}] synchronously on webgpu: ` +
          "expected its values downloaded first (await fetchValues([...]) or t.data())",
      );
    },
    async fetch(ts: readonly tf.Tensor[]): Promise<void> {
      await Promise.all(ts.filter((t) => !t.isDisposed && cached(t) == null).map((t) => t.data()));
    },
  };
}
