/**
 * Fused model operations of the `native` backend (its members of the backend port), each returning
 * `null` where it does not apply (an activation the shim lacks) so that the caller keeps its
 * composite path:
 *
 * - {@link fusedConvBiasAct}: conv2d + bias + activation as one oneDNN primitive (the inference
 *   path of fused weights); callers use it outside gradients only (tfjs cannot differentiate a
 *   fused SiLU).
 * - {@link fusedAct}: SiLU/ReLU alone (after RepConvN's sum) in one pass each way, differentiable.
 * - {@link fusedBatchNormAct}: BatchNorm (batch statistics in training, running statistics in eval)
 *   + activation in one pass forward and two backward, differentiable.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { AFFINE_ACT, BN_ACT, FUSED_ACTS } from "./fused_kernels.ts";
import { loadNative } from "./ffi.ts";
import { CONV_PRECISIONS } from "./conv_kernels.ts";
import type { BatchNormParams, FusedBatchNormResult, Precision } from "../port.ts";

const CONV_ACT: Readonly<Record<string, string>> = {
  none: "linear",
  linear: "linear",
  relu: "relu",
  silu: "silu",
};

/** Whether oneDNN has a native kernel for a {@link Precision} here, and the name of the kernel it picks. */
export interface ConvSupport {
  native: boolean;
  kernel: string;
}

const support = new Map<Precision, ConvSupport>();

/**
 * Probe (once per precision) for a native forward convolution at `precision`: bf16 needs AVX512_BF16 or
 * AMX (emulations do not count), winograd oneDNN's AVX-512 Winograd kernel; fp32 always has one.
 *
 * @example
 * ```ts
 * if (convSupport("winograd").native) console.log(convSupport("winograd").kernel); // e.g. jit_fp32_wino_2x3:avx512_core
 * ```
 */
export function convSupport(precision: Precision): ConvSupport {
  if (precision === "fp32") return { native: true, kernel: "fp32" };
  const known = support.get(precision);
  if (known) return known;
  const load = loadNative();
  let s: ConvSupport;
  if (!load.ok) s = { native: false, kernel: `no native library (${load.reason})` };
  else {
    const name = new Uint8Array(128);
    const r = load.lib.yn_conv_native(CONV_PRECISIONS[precision], name, name.length);
    const kernel = new TextDecoder().decode(name.subarray(0, Math.max(0, name.indexOf(0))));
    s = { native: r === 1, kernel: r < 0 ? `oneDNN error ${r}` : kernel };
  }
  support.set(precision, s);
  return s;
}

const warned = new Set<Precision>();

/**
 * `act(conv2d(x, w, stride, pad) + bias)` in one native kernel, or null (an activation other than
 * none/relu/silu). `pad` is symmetric, in pixels. Not differentiable. `precision: "bf16"` multiplies in
 * bfloat16, `"winograd"` runs the 3x3 stride-1 convolutions as float32 Winograd F(4x4, 3x3) (each filter
 * transformed once and kept by the shim while its tensor lives), where {@link convSupport} finds the
 * kernel; else it warns once and runs the float32 direct convolution.
 */
export function fusedConvBiasAct(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  bias: tf.Tensor | undefined,
  stride: number,
  pad: number,
  act: string,
  precision: Precision = "fp32",
): tf.Tensor4D | null {
  const a = CONV_ACT[act];
  if (a === undefined || (bias && bias.rank !== 1)) return null;
  if (precision !== "fp32") {
    const s = convSupport(precision);
    if (s.native) {
      const attrs = { strides: stride, pad, dataFormat: "NHWC", dilations: 1, activation: a, precision };
      const inputs: tf.NamedTensorMap = bias ? { x, filter: w, bias } : { x, filter: w };
      return tf.engine().runKernel("FusedConv2D", inputs, attrs) as tf.Tensor4D;
    }
    if (!warned.has(precision)) {
      warned.add(precision);
      console.warn(`${precision} requested, but oneDNN has no such convolution here (${s.kernel}): float32`);
    }
  }
  return tf.fused.conv2d({ x, filter: w, strides: stride, pad, bias, activation: a as tf.fused.Activation });
}

/**
 * `act(BatchNorm(y))` over the last (channel) axis: batch statistics (biased variance, returned for
 * the running-average update) when `training`, running statistics otherwise. Null for an activation
 * other than none/relu/silu.
 */
export function fusedBatchNormAct(
  y: tf.Tensor4D,
  bn: BatchNormParams,
  act: string,
  opts: { training: boolean; eps: number },
): FusedBatchNormResult | null {
  const code = FUSED_ACTS[act];
  if (code === undefined) return null;
  const engine = tf.engine();
  if (opts.training) {
    const [out, mean, variance] = engine.runKernel(BN_ACT, { x: y, gamma: bn.weight, beta: bn.bias }, {
      act: code,
      eps: opts.eps,
    }) as tf.Tensor[];
    return { y: out as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  return tf.tidy(() => {
    const scale = tf.mul(bn.weight, tf.rsqrt(tf.add(bn.running_var, opts.eps)));
    const shift = tf.sub(bn.bias, tf.mul(bn.running_mean, scale));
    return { y: engine.runKernel(AFFINE_ACT, { x: y, scale, shift }, { act: code }) as tf.Tensor4D };
  });
}

/** `act(x)` over NHWC `x` in one native kernel (differentiable), or null for another activation. */
export function fusedAct(x: tf.Tensor4D, act: string): tf.Tensor4D | null {
  const code = FUSED_ACTS[act];
  if (code === undefined) return null;
  if (code === 0) return x;
  const c = x.shape[3];
  return tf.tidy(() =>
    tf.engine().runKernel(AFFINE_ACT, { x, scale: tf.ones([c]), shift: tf.zeros([c]) }, {
      act: code,
    }) as tf.Tensor4D
  );
}
