/**
 * What the native kernels need from the `native` backend (a tfjs `cpu` backend instance): the
 * TypedArray behind a tensor, new outputs, and broadcast/stride arithmetic for the shim's strided
 * loops.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { NativeSymbols } from "./ffi.ts";
import { takeBuffer } from "./buffer_pool.ts";

/** The parts of tfjs' `MathBackendCPU` the native kernels use. */
export interface CpuLikeBackend {
  data: { get(dataId: tf.DataId): { values?: tf.backend_util.BackendValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): tf.TensorInfo;
}

/** Arguments of a kernel function, typed for the native kernels. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: CpuLikeBackend;
  attrs?: tf.NamedAttrMap;
}

/**
 * A native kernel: the result, or `null` when the case is not handled natively (another dtype or
 * layout), in which case the stock cpu kernel runs.
 */
export type NativeKernel = (args: KernelArgs, lib: NativeSymbols) => tf.TensorInfo | tf.TensorInfo[] | null;

/** The Float32Array of a float32 tensor, or null for any other dtype or storage. */
export function f32(backend: CpuLikeBackend, info: tf.TensorInfo): Float32Array | null {
  if (info.dtype !== "float32") return null;
  const v = backend.data.get(info.dataId).values;
  return v instanceof Float32Array ? v : null;
}

/** The TypedArray of any tensor with a plain numeric storage (float32, int32, bool), else null. */
export function raw(
  backend: CpuLikeBackend,
  info: tf.TensorInfo,
): Float32Array | Int32Array | Uint8Array | null {
  const v = backend.data.get(info.dataId).values;
  return v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint8Array ? v : null;
}

/**
 * A new tensor on the backend. Float32 storage comes from the backend's buffer pool and its contents
 * are undefined unless `zero` is set: the kernel must write every value. Other dtypes are zeroed.
 */
export function output(
  backend: CpuLikeBackend,
  shape: number[],
  dtype: tf.DataType = "float32",
  zero = false,
): { info: tf.TensorInfo; values: Float32Array | Int32Array | Uint8Array } {
  const size = tf.util.sizeFromShape(shape);
  let values: Float32Array | Int32Array | Uint8Array;
  if (dtype === "float32") {
    values = takeBuffer(backend, size);
    if (zero) values.fill(0);
  } else {
    values = dtype === "int32" ? new Int32Array(size) : new Uint8Array(size);
  }
  return { info: backend.makeTensorInfo(shape, dtype, values), values };
}

/** Row-major element strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/**
 * Strides of `shape` broadcast to `outShape` (right-aligned): 0 on broadcast axes and on the
 * leading axes it lacks.
 */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const off = outShape.length - shape.length;
  return outShape.map((n, d) => {
    if (d < off) return 0;
    const m = shape[d - off];
    if (m !== n && m !== 1) {
      throw new Error(`Cannot broadcast shape [${shape}] to [${outShape}]: expected 1 or ${n} on axis ${d}`);
    }
    return m === 1 && n !== 1 ? 0 : own[d - off];
  });
}

/**
 * Merge axes that every operand walks contiguously (stride[d] == stride[d+1] * shape[d+1]) and drop
 * axes of length 1, so the shim's loops run over as few and as long rows as possible.
 */
export function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): {
  shape: number[];
  strides: number[][];
} {
  const keep = shape.map((n, d) => (n !== 1 ? d : -1)).filter((d) => d >= 0);
  if (keep.length === 0) return { shape: [1], strides: strides.map(() => [1]) };
  const outShape = [shape[keep[0]]];
  const outStrides = strides.map((s) => [s[keep[0]]]);
  for (let i = 1; i < keep.length; i++) {
    const d = keep[i];
    const last = outShape.length - 1;
    const mergeable = strides.every((s, k) => outStrides[k][last] === s[d] * shape[d]);
    if (mergeable) {
      outShape[last] *= shape[d];
      strides.forEach((s, k) => (outStrides[k][last] = s[d]));
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** Bytes per element of a plain dtype (float32/int32 4, bool 1). */
export function elementSize(dtype: tf.DataType): number {
  return dtype === "bool" ? 1 : 4;
}

/**
 * Strided copy through the shim: `dst[doff + i.ds] = src[soff + i.ss]` over `block` (see
 * `csrc/copy.c`); shapes are collapsed first.
 */
export function copyBlock(
  lib: NativeSymbols,
  esize: number,
  block: readonly number[],
  src: tf.TypedArray,
  srcStrides: readonly number[],
  srcOffset: number,
  dst: tf.TypedArray,
  dstStrides: readonly number[],
  dstOffset: number,
): void {
  if (block.some((n) => n === 0)) return;
  const c = collapse(block, [srcStrides, dstStrides]);
  if (c.shape.length > 8) {
    throw new Error(`Cannot copy a block of rank ${c.shape.length}: expected at most 8 axes`);
  }
  const r = c.shape.length;
  const p = new Int32Array(4 + 3 * r);
  p[0] = esize;
  p[1] = r;
  p.set(c.shape, 2);
  p.set(c.strides[0], 2 + r);
  p.set(c.strides[1], 2 + 2 * r);
  p[2 + 3 * r] = srcOffset;
  p[3 + 3 * r] = dstOffset;
  const code = lib.yn_copy_block(0, p, src, dst);
  if (code !== 0) throw new Error(`copyBlock: native call failed with code ${code}, expected 0`);
}
