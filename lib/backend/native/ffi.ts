/**
 * Loading the native shim (`build/libyolo_native.so`, built by `scripts/setup_native.sh` from
 * `csrc/` against oneDNN) through Deno's FFI. Absent library, missing `--allow-ffi` or an old build
 * all make {@link loadNative} return the reason instead of a library, and the project falls back
 * to wasm.
 * @module
 */

/** FFI signatures of the shim (see `csrc/*.c`). Buffers are TypedArrays passed without copies. */
export const SYMBOLS = {
  yn_version: { parameters: [], result: "i32" },
  yn_set_threads: { parameters: ["i32", "i32"], result: "i32" },
  yn_dnnl_version: { parameters: ["buffer"], result: "i32" },
  yn_thread_stats: { parameters: ["buffer"], result: "i32" },
  yn_conv2d: { parameters: ["i32", "buffer", "f32", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  yn_conv_native: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  yn_conv_forget: { parameters: ["i32", "i32"], result: "i32" },
  yn_conv_cache: { parameters: ["buffer"], result: "i32" },
  yn_matmul: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  yn_binary: {
    parameters: ["i32", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  yn_unary: { parameters: ["i32", "i32", "buffer", "buffer", "f32"], result: "i32" },
  yn_unary_grad: { parameters: ["i32", "i32", "buffer", "buffer", "buffer", "f32"], result: "i32" },
  yn_reduce: { parameters: ["i32", "i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  yn_copy_block: { parameters: ["i32", "buffer", "buffer", "buffer"], result: "i32" },
  yn_pool: { parameters: ["i32", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  yn_softmax: { parameters: ["i32", "i32", "buffer", "buffer"], result: "i32" },
  yn_sgd_multi: {
    parameters: ["i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "f32", "i32"],
    result: "i32",
  },
  yn_axpby_multi: { parameters: ["i32", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  yn_loss_decode: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  yn_warp_rgb8: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  yn_hsv_rgb8: { parameters: ["i32", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  yn_affine_act: { parameters: ["i32", "i32", "i32", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  yn_affine_act_grad: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  yn_bn_train: {
    parameters: ["i32", "i32", "i32", "f32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  yn_bn_train_grad: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded shim's functions. */
export type NativeSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** ABI version the TypeScript side expects from `yn_version()`; bump with any signature change. */
export const NATIVE_ABI = 7;

/** Result of {@link loadNative}: the library, or why there is none. */
export type NativeLoad = {
  ok: true;
  lib: NativeSymbols;
  path: string;
  dnnl: string;
  threads: number;
  adaptive: boolean;
} | {
  ok: false;
  reason: string;
};

/** Default location of the built shim; `YOLO_NATIVE_LIB` overrides it. */
export function nativeLibPath(): string {
  const env = envGet("YOLO_NATIVE_LIB");
  if (env) return env;
  return new URL("./build/libyolo_native.so", import.meta.url).pathname;
}

function envGet(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * The shim is built with -march=native; `isa.txt` beside it lists the CPU flags of that build. Returns
 * the flags this CPU lacks (empty when it has them all or nothing can be read).
 */
function missingIsa(libPath: string): string {
  try {
    const built = Deno.readTextFileSync(libPath.replace(/[^/]*$/, "isa.txt")).trim().split(/\s+/).filter(
      Boolean,
    );
    const line = Deno.readTextFileSync("/proc/cpuinfo").split("\n").find((l) => l.startsWith("flags")) ?? "";
    const have = new Set(line.split(":")[1]?.trim().split(/\s+/) ?? []);
    return built.filter((f) => !have.has(f)).join(" ");
  } catch {
    return "";
  }
}

let loaded: NativeLoad | undefined;

/**
 * Load the shim once and set its threads: `YOLO_NATIVE_THREADS=N` (or `OMP_NUM_THREADS`) fixes N;
 * otherwise every core, adaptively (one thread while other processes keep the cores busy, see
 * `csrc/common.c`). Returns the library or the reason it is unavailable.
 */
export function loadNative(): NativeLoad {
  if (loaded) return loaded;
  const path = nativeLibPath();
  try {
    Deno.statSync(path);
  } catch {
    return loaded = { ok: false, reason: `${path} not built (run scripts/setup_native.sh)` };
  }
  const isa = missingIsa(path);
  if (isa) {
    return loaded = {
      ok: false,
      reason: `${path} was built for a CPU with ${isa} (rebuild: scripts/setup_native.sh)`,
    };
  }
  let dl: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    dl = Deno.dlopen(path, SYMBOLS);
  } catch (e) {
    return loaded = { ok: false, reason: `cannot load ${path}: ${(e as Error).message.split("\n")[0]}` };
  }
  const abi = dl.symbols.yn_version();
  if (abi !== NATIVE_ABI) {
    dl.close();
    return loaded = {
      ok: false,
      reason: `${path} has ABI ${abi}, expected ${NATIVE_ABI} (rebuild: scripts/setup_native.sh)`,
    };
  }
  const fixed = Number(envGet("YOLO_NATIVE_THREADS") ?? envGet("OMP_NUM_THREADS"));
  const adaptive = !(Number.isFinite(fixed) && fixed > 0);
  const threads = dl.symbols.yn_set_threads(
    adaptive ? navigator.hardwareConcurrency : Math.floor(fixed),
    adaptive ? 1 : 0,
  );
  const v = new Int32Array(3);
  dl.symbols.yn_dnnl_version(v);
  return loaded = { ok: true, lib: dl.symbols, path, dnnl: `oneDNN ${v.join(".")}`, threads, adaptive };
}

/**
 * Adaptive threading so far: probes taken and the share of them that chose all threads (0 when the
 * library is not loaded or threads are fixed).
 */
export function threadStats(): { probes: number; parallelShare: number } {
  if (!loaded?.ok) return { probes: 0, parallelShare: 0 };
  const v = new Int32Array(2);
  loaded.lib.yn_thread_stats(v);
  return { probes: v[0], parallelShare: v[0] ? v[1] / v[0] : 0 };
}

/**
 * The Winograd filters the shim keeps for the calling thread (`precision: "winograd"`): their number
 * and bytes (each lives until its tensor is collected, or is evicted when idle to make room).
 */
export function winogradCache(): { filters: number; bytes: number } {
  if (!loaded?.ok) return { filters: 0, bytes: 0 };
  const v = new Float64Array(2);
  loaded.lib.yn_conv_cache(v);
  return { filters: v[0], bytes: v[1] };
}

/** Throws with the shim's error code decoded (oneDNN statuses are offset by 100). */
export function check(what: string, code: number): void {
  if (code === 0) return;
  const detail = code <= -100
    ? `oneDNN status ${-code - 100}`
    : code === -2
    ? "out of memory"
    : "bad arguments";
  throw new Error(`${what}: native call failed with ${detail} (code ${code}), expected success`);
}
