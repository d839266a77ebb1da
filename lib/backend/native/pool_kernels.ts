/**
 * MaxPool, AvgPool and their input gradients (NHWC float32) in the shim (`csrc/pool.c`), with the
 * semantics of tfjs' cpu kernels: padding never wins a max, averages count only input pixels, and
 * a max window sends its gradient to its first maximum.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { check, type NativeSymbols } from "./ffi.ts";
import { f32, type KernelArgs, type NativeKernel, output } from "./tensors.ts";

const MAX = 0, AVG = 1, MAX_GRAD = 2, AVG_GRAD = 3;

function params(
  xShape: number[],
  attrs: tf.NamedAttrMap,
): { p: Int32Array; info: tf.backend_util.Conv2DInfo } | null {
  const info = tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as "valid" | "same" | number,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const p = Int32Array.of(
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  );
  return { p, info };
}

function pool(kind: number): NativeKernel {
  return ({ inputs, backend, attrs }: KernelArgs, lib: NativeSymbols) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const xv = f32(backend, x);
    if (!xv || x.shape.length !== 4) return null;
    const pp = params(x.shape, attrs ?? {});
    if (!pp) return null;
    const { info } = pp;
    const out = output(backend, [info.batchSize, info.outHeight, info.outWidth, info.outChannels]);
    check(
      kind === MAX ? "MaxPool" : "AvgPool",
      lib.yn_pool(kind, pp.p, xv, null, out.values as Float32Array),
    );
    return out.info;
  };
}

function poolGrad(kind: number): NativeKernel {
  return ({ inputs, backend, attrs }: KernelArgs, lib: NativeSymbols) => {
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const dyv = f32(backend, dy), xv = f32(backend, input);
    if (!dyv || !xv || input.shape.length !== 4) return null;
    const pp = params(input.shape, attrs ?? {});
    if (!pp || pp.info.outShape.join() !== dy.shape.join()) return null;
    const out = output(backend, [...input.shape]);
    check(
      kind === MAX_GRAD ? "MaxPoolGrad" : "AvgPoolGrad",
      lib.yn_pool(kind, pp.p, xv, dyv, out.values as Float32Array),
    );
    return out.info;
  };
}

/** The pooling kernels, by tfjs kernel name. */
export const POOL_KERNELS: Readonly<Record<string, NativeKernel>> = {
  MaxPool: pool(MAX),
  AvgPool: pool(AVG),
  MaxPoolGrad: poolGrad(MAX_GRAD),
  AvgPoolGrad: poolGrad(AVG_GRAD),
};
