/**
 * Conv2D, FusedConv2D (bias + activation as oneDNN post-ops, including SiLU), Conv2DBackpropInput
 * and Conv2DBackpropFilter on oneDNN through the shim (`csrc/conv.c`). NHWC float32 only; other
 * layouts and dtypes, and PReLU, go to the stock cpu kernels. FusedConv2D with the attribute
 * `precision: "bf16"` (set by `fused_ops.ts`, never by tfjs) multiplies in bfloat16; `"winograd"` runs
 * 3x3 stride-1 convolutions as Winograd F(4x4, 3x3), naming the filter by a token per tensor storage
 * (tfjs never changes a tensor's values) so that the shim transforms each filter once.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { check, type NativeSymbols } from "./ffi.ts";
import { f32, type KernelArgs, type NativeKernel, output } from "./tensors.ts";
import type { Precision } from "../port.ts";

/** Activation codes of `csrc/yn.h` (`yn_act`); `silu`/`swish` are accepted beyond tfjs' own list. */
export const CONV_ACTIVATIONS: Readonly<Record<string, number>> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  elu: 3,
  leakyrelu: 4,
  sigmoid: 5,
  silu: 6,
  swish: 6,
};

const FWD = 0, BWD_DATA = 1, BWD_WEIGHTS = 2;
/** The shim's PREC codes (csrc/conv.c) by {@link Precision}. */
export const CONV_PRECISIONS: Readonly<Record<Precision, number>> = { fp32: 0, bf16: 1, winograd: 2 };

/**
 * A token per filter storage for the shim's Winograd filter cache (never reused in a process); when the
 * storage is collected, the shim forgets the token's transformed filters.
 */
const tokens = new WeakMap<tf.DataId, number>();
let lastToken = 0;
let forget: FinalizationRegistry<number> | undefined;
function filterToken(lib: NativeSymbols, info: tf.TensorInfo): number {
  let t = tokens.get(info.dataId);
  if (t === undefined) {
    tokens.set(info.dataId, t = ++lastToken);
    forget ??= new FinalizationRegistry((k) =>
      lib.yn_conv_forget((k % 2 ** 32) | 0, Math.floor(k / 2 ** 32))
    );
    forget.register(info.dataId, t);
  }
  return t;
}

/** The shim's parameter block for a conv, or null when it is not NHWC. */
function convParams(
  xShape: number[],
  filterShape: number[],
  attrs: tf.NamedAttrMap,
  dilations: number | [number, number],
  act = 0,
  hasBias = false,
  prec = 0,
  token = 0,
): { p: Int32Array; info: tf.backend_util.Conv2DInfo } | null {
  const fmt = (attrs.dataFormat as string | undefined) ?? "NHWC";
  if (fmt !== "NHWC" && fmt !== "channelsLast") return null;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number] | number,
    dilations,
    attrs.pad as "valid" | "same" | number,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    false,
    "channelsLast",
  );
  const { batchSize, inHeight, inWidth, inChannels, outChannels, outHeight, outWidth } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dw, padInfo } = info;
  if (outHeight <= 0 || outWidth <= 0) return null;
  // oneDNN wants the right/bottom padding that makes its output size formula exact.
  const pb = (outHeight - 1) * sh + (kh - 1) * dh + 1 - inHeight - padInfo.top;
  const pr = (outWidth - 1) * sw + (kw - 1) * dw + 1 - inWidth - padInfo.left;
  if (pb < 0 || pr < 0) return null;
  const p = Int32Array.of(
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outChannels,
    outHeight,
    outWidth,
    kh,
    kw,
    sh,
    sw,
    dh,
    dw,
    padInfo.top,
    padInfo.left,
    pb,
    pr,
    act,
    hasBias ? 1 : 0,
    prec,
    (token % 2 ** 32) | 0,
    Math.floor(token / 2 ** 32),
  );
  return { p, info };
}

function run(
  lib: NativeSymbols,
  kind: number,
  p: Int32Array,
  alpha: number,
  a: Float32Array,
  b: Float32Array,
  bias: Float32Array | null,
  out: Float32Array,
): void {
  check(
    ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"][kind],
    lib.yn_conv2d(kind, p, alpha, a, b, bias, out),
  );
}

function forward(
  { inputs, backend, attrs }: KernelArgs,
  lib: NativeSymbols,
  fused: boolean,
): tf.TensorInfo | null {
  const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs ?? {};
  const xv = f32(backend, x), wv = f32(backend, filter);
  if (!xv || !wv) return null;
  let act = 0;
  let bias: Float32Array | null = null;
  if (fused) {
    const code = CONV_ACTIVATIONS[(a.activation as string | undefined) ?? "linear"];
    if (code === undefined) return null; // prelu
    act = code;
    const b = (inputs as { bias?: tf.TensorInfo }).bias;
    if (b) {
      bias = f32(backend, b);
      if (!bias || bias.length !== filter.shape[3] || b.shape.length !== 1) return null;
    }
  }
  const dil = (a.dilations as number | [number, number] | undefined) ?? 1;
  const prec = fused ? CONV_PRECISIONS[(a.precision as Precision | undefined) ?? "fp32"] ?? 0 : 0;
  const token = prec === CONV_PRECISIONS.winograd ? filterToken(lib, filter) : 0;
  const cp = convParams(x.shape, filter.shape, a, dil, act, bias !== null, prec, token);
  if (!cp) return null;
  const { info } = cp;
  const out = output(backend, [info.batchSize, info.outHeight, info.outWidth, info.outChannels]);
  run(
    lib,
    FWD,
    cp.p,
    (a.leakyreluAlpha as number | undefined) ?? 0.2,
    xv,
    wv,
    bias,
    out.values as Float32Array,
  );
  return out.info;
}

const conv2d: NativeKernel = (args, lib) => forward(args, lib, false);
const fusedConv2d: NativeKernel = (args, lib) => forward(args, lib, true);

const conv2dBackpropInput: NativeKernel = ({ inputs, backend, attrs }, lib) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs ?? {};
  const dyv = f32(backend, dy), wv = f32(backend, filter);
  if (!dyv || !wv) return null;
  const cp = convParams(a.inputShape as number[], filter.shape, a, 1);
  if (!cp || !sameShape(dy.shape, cp.info.outShape)) return null;
  const out = output(backend, [...(a.inputShape as number[])]);
  run(lib, BWD_DATA, cp.p, 0, dyv, wv, null, out.values as Float32Array);
  return out.info;
};

const conv2dBackpropFilter: NativeKernel = ({ inputs, backend, attrs }, lib) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs ?? {};
  const xv = f32(backend, x), dyv = f32(backend, dy);
  if (!xv || !dyv) return null;
  const filterShape = a.filterShape as number[];
  const cp = convParams(x.shape, filterShape, a, 1);
  if (!cp || !sameShape(dy.shape, cp.info.outShape)) return null;
  const out = output(backend, [...filterShape]);
  run(lib, BWD_WEIGHTS, cp.p, 0, xv, dyv, null, out.values as Float32Array);
  return out.info;
};

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** The convolution kernels, by tfjs kernel name. */
export const CONV_KERNELS: Readonly<Record<string, NativeKernel>> = {
  Conv2D: conv2d,
  FusedConv2D: fusedConv2d,
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
};
