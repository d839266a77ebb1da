/**
 * Elementwise float32 kernels in the shim (`csrc/elementwise.c`): binary arithmetic with
 * broadcasting (collapsed to as few strided axes as possible), AddN, and the unary math and
 * activations that a YOLO training step uses. Other dtypes go to the stock cpu kernels.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { check, type NativeSymbols } from "./ffi.ts";
import { broadcastStrides, collapse, f32, type KernelArgs, type NativeKernel, output } from "./tensors.ts";

/** Binary op codes of `csrc/elementwise.c`. */
const BINARY = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
  SquaredDifference: 6,
  DivNoNan: 7,
};

/** Unary op codes of `csrc/elementwise.c`, by tfjs kernel name. */
export const UNARY_OPS: Readonly<Record<string, number>> = {
  Neg: 0,
  Exp: 1,
  Log: 2,
  Sqrt: 3,
  Rsqrt: 4,
  Sigmoid: 5,
  Relu: 6,
  Abs: 7,
  Square: 8,
  Reciprocal: 9,
  LeakyRelu: 11,
  Elu: 12,
  Relu6: 13,
  Tanh: 14,
  Softplus: 15,
  Log1p: 16,
  Step: 17,
};

/** Collapsed loop plan of a broadcast binary op, or null beyond the shim's 8 axes. */
function plan(aShape: readonly number[], bShape: readonly number[], outShape: readonly number[]) {
  const c = collapse(outShape, [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)]);
  return c.shape.length > 8 ? null : c;
}

/** `out = a op b` (shapes broadcast) into `out`, which may alias `a` or `b` when shapes are equal. */
export function binaryInto(
  lib: NativeSymbols,
  op: number,
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  out: Float32Array,
  outShape: readonly number[],
): boolean {
  const c = plan(aShape, bShape, outShape);
  if (!c) return false;
  if (out.length === 0) return true;
  const code = lib.yn_binary(
    op,
    c.shape.length,
    Int32Array.from(c.shape),
    Int32Array.from(c.strides[0]),
    Int32Array.from(c.strides[1]),
    a,
    b,
    out,
  );
  check("binary op", code);
  return true;
}

function binary(op: number): NativeKernel {
  return ({ inputs, backend }, lib) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const av = f32(backend, a), bv = f32(backend, b);
    if (!av || !bv) return null;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (!plan(a.shape, b.shape, outShape)) return null;
    const out = output(backend, outShape);
    binaryInto(lib, op, av, a.shape, bv, b.shape, out.values as Float32Array, outShape);
    return out.info;
  };
}

function unary(op: number, alphaAttr?: string, alphaDefault = 0): NativeKernel {
  return ({ inputs, backend, attrs }: KernelArgs, lib) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const xv = f32(backend, x);
    if (!xv) return null;
    const out = output(backend, [...x.shape]);
    const alpha = alphaAttr ? (attrs?.[alphaAttr] as number | undefined) ?? alphaDefault : alphaDefault;
    check(`unary op ${op}`, lib.yn_unary(op, xv.length, xv, out.values as Float32Array, alpha));
    return out.info;
  };
}

const addN: NativeKernel = ({ inputs, backend }, lib) => {
  const xs = Object.values(inputs) as tf.TensorInfo[];
  const vs = xs.map((x) => f32(backend, x));
  if (xs.length === 0 || vs.some((v) => !v) || xs.some((x) => x.shape.join() !== xs[0].shape.join())) {
    return null;
  }
  const out = output(backend, [...xs[0].shape]);
  const o = out.values as Float32Array;
  if (xs.length === 1) o.set(vs[0]!);
  for (let i = 1; i < xs.length; i++) {
    binaryInto(lib, BINARY.Add, i === 1 ? vs[0]! : o, xs[0].shape, vs[i]!, xs[i].shape, o, xs[0].shape);
  }
  return out.info;
};

/** The elementwise kernels, by tfjs kernel name. */
export const ELEMENTWISE_KERNELS: Readonly<Record<string, NativeKernel>> = {
  ...Object.fromEntries(Object.entries(BINARY).map(([name, op]) => [name, binary(op)])),
  ...Object.fromEntries(
    Object.entries(UNARY_OPS).filter(([n]) => n !== "LeakyRelu" && n !== "Step").map((
      [name, op],
    ) => [name, unary(op)]),
  ),
  LeakyRelu: unary(UNARY_OPS.LeakyRelu, "alpha", 0.2),
  Step: unary(UNARY_OPS.Step, "alpha", 0),
  AddN: addN,
};
