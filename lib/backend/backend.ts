/**
 * Backend selection: picks the fastest tfjs backend present and registers the project's own
 * kernels where a backend lacks or gets wrong a kernel a YOLO training step needs.
 *
 * Order: `webgpu` (`@tensorflow/tfjs-backend-webgpu` on `navigator.gpu`, only when the adapter is
 * a real GPU: the software fallback adapter is used only when asked for by name), `native` (tfjs cpu
 * with oneDNN/OpenMP kernels through Deno FFI, when `scripts/setup_native.sh` built its shim),
 * `tensorflow` GPU (`@tensorflow/tfjs-node-gpu`), `tensorflow` CPU (`@tensorflow/tfjs-node`), `wasm`,
 * `cpu`. `YOLO_BACKEND=<name>` (or the CLIs' `--backend`) forces one.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerKernelFixes } from "./kernels/mod.ts";
import { NATIVE_BACKEND, nativePort, type NativeStatus, registerNativeBackend } from "./native/mod.ts";
import { type BackendPort, plugBackend } from "./port.ts";
import { cpuArrays } from "./cpu_port.ts";
import { setLeanTape } from "./lean_tape.ts";
import { type AdapterSummary, describeAdapter, gpuDeviceNodes, probeAdapter, webgpuPort } from "./webgpu_port.ts";

/** Names accepted by {@link initBackend}. */
export type BackendName = "webgpu" | "native" | "tensorflow-gpu" | "tensorflow" | "wasm" | "cpu";

/** The selection order when nothing is forced. */
export const BACKEND_ORDER: readonly BackendName[] = ["webgpu", "native", "tensorflow-gpu", "tensorflow", "wasm", "cpu"];

const NODE_PACKAGES: Record<string, string> = {
  "tensorflow-gpu": "@tensorflow/tfjs-node-gpu",
  "tensorflow": "@tensorflow/tfjs-node",
};

let current: BackendName | undefined;

/** Where a working tfjs-node(-gpu) install keeps its native binding (written by its install script). */
function bindingDir(pkg: string): URL {
  const dir = `${pkg.replace("/", "+")}@4.22.0/node_modules/${pkg}/lib`;
  return new URL(`../../node_modules/.deno/${dir}/`, import.meta.url);
}

/** True when `pkg` (`@tensorflow/tfjs-node` or `-gpu`) is installed with its native binding. */
export async function nodeBindingInstalled(pkg: string): Promise<boolean> {
  try {
    for await (const e of Deno.readDir(bindingDir(pkg))) {
      if (e.isDirectory && e.name.startsWith("napi-v")) return true;
    }
  } catch {
    // not installed
  }
  return false;
}

async function tryNodeBinding(name: BackendName): Promise<boolean> {
  const pkg = NODE_PACKAGES[name];
  // Only packages whose install script fetched libtensorflow (`deno task setup`): importing anything else
  // would try the network or fail to load the binding.
  if (!(await nodeBindingInstalled(pkg))) return false;
  try {
    await import(`npm:${pkg}@4.22.0`);
    return await tf.setBackend("tensorflow");
  } catch {
    return false;
  }
}

let native: NativeStatus | undefined;
let adapter: AdapterSummary | null | undefined;

/** WebGPU: forced, any adapter; in the automatic choice, only a real GPU (not the fallback adapter). */
async function tryWebGpu(forced: boolean): Promise<boolean> {
  if (!forced && !gpuDeviceNodes()) return false;
  adapter = await probeAdapter();
  if (!adapter || (adapter.fallback && !forced)) return false;
  try {
    await import("@tensorflow/tfjs-backend-webgpu");
    return await tf.setBackend("webgpu");
  } catch {
    return false;
  }
}

async function trySet(name: BackendName, forced: boolean): Promise<boolean> {
  if (name === "webgpu") return await tryWebGpu(forced);
  if (name in NODE_PACKAGES) return await tryNodeBinding(name);
  if (name === NATIVE_BACKEND) {
    native = registerNativeBackend();
    if (!native.ok) return false;
  }
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/**
 * Initialise tfjs once: the forced backend (argument or `YOLO_BACKEND`) or the first that works in
 * {@link BACKEND_ORDER}; then registers kernel fixes for it and
 * installs the lean gradient tape (lean_tape.ts; `YOLO_PLAIN_TAPE=1`: tfjs' stock tape). Returns the backend's name.
 *
 * @example
 * ```ts
 * const name = await initBackend("cpu");
 * ```
 */
export async function initBackend(name?: string, opts: { quiet?: boolean } = {}): Promise<BackendName> {
  const forced = name ?? Deno.env.get("YOLO_BACKEND") ?? undefined;
  if (forced && !BACKEND_ORDER.includes(forced as BackendName)) {
    throw new RangeError(`Cannot select backend: expected one of ${BACKEND_ORDER.join(", ")}, got "${forced}"`);
  }
  if (current && (!forced || forced === current)) return current;
  tf.env().set("PROD", true);
  const candidates = forced ? [forced as BackendName] : BACKEND_ORDER;
  for (const cand of candidates) {
    if (await trySet(cand, !!forced)) {
      await tf.ready();
      current = cand;
      const tfName = cand === "tensorflow-gpu" ? "tensorflow" : cand;
      plugBackend(portOf(cand, tf.findBackend(tfName)));
      setLeanTape(Deno.env.get("YOLO_PLAIN_TAPE") !== "1");
      const fixes = registerKernelFixes(tfName);
      if (!opts.quiet) console.error(describe(cand, fixes));
      return cand;
    }
  }
  const why = forced === NATIVE_BACKEND && native && !native.ok
    ? ` (${native.reason})`
    : forced === "webgpu"
    ? (adapter ? ` (adapter: ${describeAdapter(adapter)})` : " (navigator.gpu gives no adapter)")
    : "";
  throw new Error(`Cannot select backend: "${forced}" is not available on this machine${why}`);
}

/** The port adapter of the backend just selected. */
function portOf(name: BackendName, backend: tf.KernelBackend): BackendPort {
  if (name === NATIVE_BACKEND) return nativePort(backend);
  if (name === "cpu") return { name, ...cpuArrays(backend) };
  if (name === "webgpu") return webgpuPort(backend);
  return { name };
}

/**
 * The backend chosen by {@link initBackend} in words, with oneDNN's version and the thread setting on
 * `native` (e.g. `native (oneDNN 2.6.3, 1 thread)`, `native (oneDNN 2.6.3, 2 threads, adaptive)`:
 * results differ in the last bits between thread counts); undefined before it ran.
 */
export function backendSummary(): string | undefined {
  if (current !== NATIVE_BACKEND || !native?.ok) return current;
  const threads = `${native.threads} thread${native.threads > 1 ? "s" : ""}${native.adaptive ? ", adaptive" : ""}`;
  return `native (${native.dnnl}, ${threads})`;
}

/** The one line that says which backend and which own kernels run (and why not native). */
function describe(name: BackendName, fixes: string[]): string {
  if (name === NATIVE_BACKEND && native?.ok) {
    return `[yolov9-ts] backend ${backendSummary()}; native kernels: ${native.kernels.join(", ")}`;
  }
  const why = native && !native.ok ? ` (native unavailable: ${native.reason})` : "";
  const where = name === "webgpu" && adapter ? ` (adapter: ${describeAdapter(adapter)})` : "";
  return `[yolov9-ts] backend ${name}${where}` + (fixes.length ? `; own kernels: ${fixes.join(", ")}` : "") + why;
}

/** The WebGPU adapter seen by the last selection that tried webgpu (null: none), undefined before. */
export function webgpuAdapter(): AdapterSummary | null | undefined {
  return adapter;
}

/** The backend chosen by {@link initBackend}, or undefined before it ran. */
export function currentBackend(): BackendName | undefined {
  return current;
}
