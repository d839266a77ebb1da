/**
 * Sum, Mean, Max, Min and Prod over any axes of a float32 tensor in the shim (`csrc/reduce.c`).
 * Axes of length 1 are ignored and neighbouring reduced axes merged, so reductions over one block of
 * axes (BatchNorm's [0, 1, 2], a softmax's last axis) run in place; anything else is first
 * transposed natively to put the reduced axes last. Softmax over the last axis lives here too.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { check, type NativeSymbols } from "./ffi.ts";
import { copyBlock, f32, type NativeKernel, output, stridesOf } from "./tensors.ts";

const OPS = { Sum: 0, Mean: 1, Max: 2, Min: 3, Prod: 4 } as const;

/** Runs of kept and reduced axes (length-1 axes dropped), e.g. [[4, false], [6400, true]]. */
function runs(shape: readonly number[], reduced: ReadonlySet<number>): [number, boolean][] {
  const out: [number, boolean][] = [];
  shape.forEach((n, d) => {
    if (n === 1) return;
    const r = reduced.has(d);
    if (out.length && out[out.length - 1][1] === r) out[out.length - 1][0] *= n;
    else out.push([n, r]);
  });
  return out;
}

/** A reused buffer of at least `n` values (the transposed input of a multi-axis reduction). */
let tmpBuffer = new Float32Array(0);
function scratch(n: number): Float32Array {
  if (tmpBuffer.length < n) tmpBuffer = new Float32Array(n);
  return tmpBuffer.subarray(0, n);
}

function reduce(op: number): NativeKernel {
  return ({ inputs, backend, attrs }, lib: NativeSymbols) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const xv = f32(backend, x);
    if (!xv || xv.length === 0) return null;
    // Max names its axes `reductionIndices`; the others `axis`.
    const axis = (attrs?.axis ?? attrs?.reductionIndices) as number | number[];
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const set = new Set(axes);
    const outShape = attrs?.keepDims
      ? x.shape.map((n, d) => (set.has(d) ? 1 : n))
      : x.shape.filter((_, d) => !set.has(d));
    const out = output(backend, outShape);
    const ov = out.values as Float32Array;
    const r = runs(x.shape, set);
    const redCount = r.filter(([, red]) => red).length;
    if (redCount === 0) {
      // Nothing of length > 1 is reduced: a copy (a mean of one value is the value).
      ov.set(xv);
      return out.info;
    }
    if (redCount === 1) {
      const i = r.findIndex(([, red]) => red);
      const outer = r.slice(0, i).reduce((p, [n]) => p * n, 1);
      const inner = r.slice(i + 1).reduce((p, [n]) => p * n, 1);
      check("reduce", lib.yn_reduce(op, outer, r[i][0], inner, xv, ov));
      return out.info;
    }
    // Several reduced blocks (e.g. the gradient of a nearest upsample: [N, H, 2, W, 2, C] over axes 2
    // and 4): transpose the reduced axes first, then reduce their rows over the whole kept block at
    // once (the values of each output are still taken in the input's order).
    const kept = x.shape.map((_, d) => d).filter((d) => !set.has(d));
    const perm = [...axes.toSorted((a, b) => a - b), ...kept];
    const permShape = perm.map((d) => x.shape[d]);
    const xs = stridesOf(x.shape);
    const tmp = scratch(xv.length);
    copyBlock(lib, 4, permShape, xv, perm.map((d) => xs[d]), 0, tmp, stridesOf(permShape), 0);
    const red = axes.reduce((p, d) => p * x.shape[d], 1);
    check("reduce", lib.yn_reduce(op, 1, red, xv.length / red, tmp, ov));
    return out.info;
  };
}

/** Softmax over the last axis (the only one tfjs supports), in `csrc/softmax.c`. */
const softmax: NativeKernel = ({ inputs, backend, attrs }, lib: NativeSymbols) => {
  const { logits } = inputs as { logits: tf.TensorInfo };
  const xv = f32(backend, logits);
  const rank = logits.shape.length;
  const dim = (attrs?.dim as number | undefined) ?? -1;
  if (!xv || xv.length === 0 || (dim !== -1 && dim !== rank - 1)) return null;
  const n = logits.shape[rank - 1];
  const out = output(backend, [...logits.shape]);
  check("Softmax", lib.yn_softmax(xv.length / n, n, xv, out.values as Float32Array));
  return out.info;
};

/** The reduction kernels (and Softmax), by tfjs kernel name. */
export const REDUCE_KERNELS: Readonly<Record<string, NativeKernel>> = {
  ...Object.fromEntries(Object.entries(OPS).map(([name, op]) => [name, reduce(op)])),
  Softmax: softmax,
};
