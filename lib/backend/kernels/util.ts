/**
 * Helpers shared by the own kernels: calling a backend's stock kernels on TensorInfos, reading and
 * writing tensor data on the `cpu` and `wasm` backends, and freeing intermediates.
 *
 * Kernels here work at the TensorInfo level, like tfjs's own composite kernels: intermediates never
 * reach the engine, so `tf.memory().numTensors` is untouched, but each one must be freed with
 * {@link disposeInfo}.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** A tensor as kernels see it. */
export type Info = tf.TensorInfo;

/** The parts of the `cpu` and `wasm` backends the kernels use. */
interface BackendLike {
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  // wasm
  typedArrayFromHeap?(info: Info): Float32Array | Int32Array | Uint8Array;
  makeOutput?(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.TypedArray): Info;
  // cpu
  data?: { get(dataId: tf.DataId): { values: tf.TypedArray } };
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values: tf.TypedArray): Info;
}

/** The backend object a kernelFunc receives, typed for these helpers. */
export function asBackend(backend: unknown): BackendLike {
  const b = backend as BackendLike;
  if (typeof b.typedArrayFromHeap !== "function" && b.data === undefined) {
    throw new Error("Cannot run own kernel: expected the cpu or wasm backend");
  }
  return b;
}

/** Runs the kernel registered as `name` for `backendName` directly on TensorInfos. */
export function callKernel(
  backendName: string,
  backend: unknown,
  name: string,
  inputs: Record<string, Info>,
  attrs: Record<string, unknown> = {},
): Info {
  const cfg = tf.getKernel(name, backendName);
  if (!cfg) throw new Error(`Cannot run kernel: '${name}' is not registered for backend '${backendName}'`);
  const out = cfg.kernelFunc({
    inputs: inputs as tf.NamedTensorInfoMap,
    backend: backend as tf.KernelBackend,
    attrs: attrs as tf.NamedAttrMap,
  });
  return Array.isArray(out) ? out[0] : out;
}

/** Frees an intermediate made by {@link callKernel} or {@link allocOutput}. */
export function disposeInfo(backend: unknown, info: Info | undefined): void {
  if (info) asBackend(backend).disposeData(info.dataId);
}

/**
 * The values of a tensor. On wasm this is a view into the heap: it is invalidated by any later
 * allocation on that backend, so fetch it again after calling a kernel or allocating.
 */
export function values(backend: unknown, info: Info): tf.TypedArray {
  const b = asBackend(backend);
  if (typeof b.typedArrayFromHeap === "function") return b.typedArrayFromHeap(info) as tf.TypedArray;
  return b.data!.get(info.dataId).values;
}

/**
 * A new tensor on the backend. Its contents are undefined on wasm (malloc), zero on cpu, unless
 * `init` is given (copied in). Write into it through {@link values}.
 */
export function allocOutput(
  backend: unknown,
  shape: number[],
  dtype: tf.DataType = "float32",
  init?: tf.TypedArray,
): Info {
  const b = asBackend(backend);
  const size = tf.util.sizeFromShape(shape);
  if (typeof b.typedArrayFromHeap === "function") {
    return b.makeOutput!(shape, dtype, undefined, init);
  }
  const vals = init ? init.slice() : tf.util.getTypedArrayFromDType(dtype as "float32", size);
  return b.makeTensorInfo!(shape, dtype, vals as tf.TypedArray);
}

/** A zero-filled float32 tensor on the backend. */
export function allocZeros(backend: unknown, shape: number[], dtype: tf.DataType = "float32"): Info {
  const out = allocOutput(backend, shape, dtype);
  values(backend, out).fill(0);
  return out;
}

/** Throws unless the data format is NHWC. */
export function assertNHWC(kernel: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== "NHWC" && dataFormat !== "channelsLast") {
    throw new Error(`${kernel} (own kernel) supports dataFormat NHWC only, got '${dataFormat}'`);
  }
}

/** The geometry of a conv2d gradient kernel, with dy's shape checked against it. */
export function convGradGeometry(
  kernel: string,
  xShape: number[],
  filterShape: number[],
  dy: Info,
  attrs: { strides: [number, number] | number; pad: unknown; dataFormat: unknown; dimRoundingMode?: unknown },
) {
  assertNHWC(kernel, attrs.dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad as "valid",
    attrs.dimRoundingMode as "floor" | undefined,
    false,
    "channelsLast",
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  if (dy.shape.length !== 4 || dy.shape[0] !== n || dy.shape[1] !== ho || dy.shape[2] !== wo || dy.shape[3] !== co) {
    throw new Error(`${kernel}: dy shape [${dy.shape}] does not match expected [${[n, ho, wo, co]}]`);
  }
  return { n, h, w, ci, ho, wo, co, sh, sw, kh, kw, pt: info.padInfo.top, pl: info.padInfo.left };
}
