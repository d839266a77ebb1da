/**
 * Data movement in the shim's strided block copy (`csrc/copy.c`): Slice (the stock cpu kernel walks
 * non-contiguous slices element by element with index arithmetic), SplitV, Concat, Transpose and
 * PadV2, for float32, int32 and bool.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { NativeSymbols } from "./ffi.ts";
import { pinBuffer } from "./buffer_pool.ts";
import {
  copyBlock,
  type CpuLikeBackend,
  elementSize,
  type NativeKernel,
  output,
  raw,
  stridesOf,
} from "./tensors.ts";

/** Copy the block of `x` at `begin` with shape `size` into a new tensor (a view when contiguous). */
function sliceInfo(
  lib: NativeSymbols,
  backend: CpuLikeBackend,
  x: tf.TensorInfo,
  xv: Float32Array | Int32Array | Uint8Array,
  begin: number[],
  size: number[],
): tf.TensorInfo {
  const xs = stridesOf(x.shape);
  const offset = begin.reduce((s, b, d) => s + b * xs[d], 0);
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    pinBuffer(backend, xv); // the view shares x's buffer: it must never be recycled
    return backend.makeTensorInfo(size, x.dtype, xv.subarray(offset, offset + tf.util.sizeFromShape(size)));
  }
  const out = output(backend, size, x.dtype);
  copyBlock(lib, elementSize(x.dtype), size, xv, xs, offset, out.values, stridesOf(size), 0);
  return out.info;
}

const slice: NativeKernel = ({ inputs, backend, attrs }, lib) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const xv = raw(backend, x);
  if (!xv) return null;
  const [begin, size] = tf.slice_util.parseSliceParams(
    x as unknown as tf.Tensor,
    attrs!.begin as number | number[],
    attrs!.size as number | number[] | undefined,
  );
  tf.slice_util.assertParamsValid(x as unknown as tf.Tensor, begin, size);
  return sliceInfo(lib, backend, x, xv, begin, size);
};

const splitV: NativeKernel = ({ inputs, backend, attrs }, lib) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const xv = raw(backend, x);
  if (!xv) return null;
  const axis = tf.util.parseAxisParam(attrs!.axis as number, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(
    x as unknown as tf.Tensor,
    attrs!.numOrSizeSplits as number | number[],
    axis,
  );
  const begin = x.shape.map(() => 0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[axis] = s;
    const info = sliceInfo(lib, backend, x, xv, [...begin], size);
    begin[axis] += s;
    return info;
  });
};

const concat: NativeKernel = ({ inputs, backend, attrs }, lib) => {
  const xs = (Object.values(inputs) as tf.TensorInfo[]).filter((t) => tf.util.sizeFromShape(t.shape) > 0);
  const all = Object.values(inputs) as tf.TensorInfo[];
  if (all.length === 0) return null;
  const dtype = all[0].dtype;
  if (all.some((t) => t.dtype !== dtype) || xs.some((t) => !raw(backend, t))) return null;
  const axis = tf.util.parseAxisParam(attrs!.axis as number, all[0].shape)[0];
  const outShape = tf.backend_util.computeOutShape(all.map((t) => t.shape), axis);
  const out = output(backend, outShape, dtype);
  const os = stridesOf(outShape);
  if (outShape.slice(0, axis).every((n) => n === 1)) {
    // Every input is one contiguous run of the output (e.g. flat tensors): plain copies.
    let offset = 0;
    for (const t of xs) {
      const v = raw(backend, t)!;
      (out.values as Float32Array).set(v as Float32Array, offset);
      offset += v.length;
    }
    return out.info;
  }
  let at = 0;
  for (const t of xs) {
    copyBlock(
      lib,
      elementSize(dtype),
      t.shape,
      raw(backend, t)!,
      stridesOf(t.shape),
      0,
      out.values,
      os,
      at * os[axis],
    );
    at += t.shape[axis];
  }
  return out.info;
};

const transpose: NativeKernel = ({ inputs, backend, attrs }, lib) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const xv = raw(backend, x);
  if (!xv) return null;
  const perm = attrs!.perm as number[];
  const outShape = perm.map((p) => x.shape[p]);
  const out = output(backend, outShape, x.dtype);
  const xs = stridesOf(x.shape);
  copyBlock(
    lib,
    elementSize(x.dtype),
    outShape,
    xv,
    perm.map((p) => xs[p]),
    0,
    out.values,
    stridesOf(outShape),
    0,
  );
  return out.info;
};

const padV2: NativeKernel = ({ inputs, backend, attrs }, lib) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const xv = raw(backend, x);
  if (!xv) return null;
  const paddings = attrs!.paddings as [number, number][];
  const value = (attrs!.constantValue as number | undefined) ?? 0;
  const outShape = x.shape.map((n, d) => paddings[d][0] + n + paddings[d][1]);
  const out = output(backend, outShape, x.dtype);
  out.values.fill(value);
  const os = stridesOf(outShape);
  const offset = paddings.reduce((s, [before], d) => s + before * os[d], 0);
  copyBlock(lib, elementSize(x.dtype), x.shape, xv, stridesOf(x.shape), 0, out.values, os, offset);
  return out.info;
};

/** The layout kernels, by tfjs kernel name. */
export const LAYOUT_KERNELS: Readonly<Record<string, NativeKernel>> = {
  Slice: slice,
  SplitV: splitV,
  Concat: concat,
  Transpose: transpose,
  PadV2: padV2,
};
