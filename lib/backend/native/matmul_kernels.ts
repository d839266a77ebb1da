/**
 * BatchMatMul and _FusedMatMul (bias and activation applied in place afterwards) on oneDNN's sgemm
 * through the shim (`csrc/matmul.c`). Transposes are free (sgemm's flags); batch dimensions must be
 * equal or one side a single matrix; otherwise the stock cpu kernel runs.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { check, type NativeSymbols } from "./ffi.ts";
import { f32, type KernelArgs, type NativeKernel, output } from "./tensors.ts";
import { binaryInto, UNARY_OPS } from "./elementwise_kernels.ts";

const ACT: Readonly<Record<string, number | null>> = {
  linear: null,
  relu: UNARY_OPS.Relu,
  relu6: UNARY_OPS.Relu6,
  elu: UNARY_OPS.Elu,
  sigmoid: UNARY_OPS.Sigmoid,
  leakyrelu: UNARY_OPS.LeakyRelu,
};

function matmul(
  { inputs, backend, attrs }: KernelArgs,
  lib: NativeSymbols,
  fused: boolean,
): tf.TensorInfo | null {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const av = f32(backend, a), bv = f32(backend, b);
  if (!av || !bv || a.shape.length < 2 || b.shape.length < 2) return null;
  const ta = !!attrs?.transposeA, tb = !!attrs?.transposeB;
  const ra = a.shape.length, rb = b.shape.length;
  const m = ta ? a.shape[ra - 1] : a.shape[ra - 2], k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  const k2 = tb ? b.shape[rb - 1] : b.shape[rb - 2], n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== k2) {
    throw new Error(
      `BatchMatMul: inner dimensions differ, expected equal, got ${k} ([${a.shape}]) and ${k2} ([${b.shape}])`,
    );
  }
  const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
  const na = tf.util.sizeFromShape(batchA), nb = tf.util.sizeFromShape(batchB);
  const batchShape = tf.backend_util.assertAndGetBroadcastShape(batchA, batchB);
  if (na !== nb && na !== 1 && nb !== 1) return null;
  let act: number | null = null;
  let bias: tf.TensorInfo | undefined;
  if (fused) {
    const name = (attrs?.activation as string | undefined) ?? "linear";
    if (!(name in ACT)) return null; // prelu
    act = ACT[name];
    bias = (inputs as { bias?: tf.TensorInfo }).bias;
    if (bias && !f32(backend, bias)) return null;
  }
  const outShape = [...batchShape, m, n];
  const out = output(backend, outShape);
  const ov = out.values as Float32Array;
  check("BatchMatMul", lib.yn_matmul(Int32Array.of(na, nb, m, k, n, ta ? 1 : 0, tb ? 1 : 0), av, bv, ov));
  if (bias) binaryInto(lib, 0, ov, outShape, f32(backend, bias)!, bias.shape, ov, outShape);
  if (act !== null) {
    check(
      "activation",
      lib.yn_unary(act, ov.length, ov, ov, (attrs?.leakyreluAlpha as number | undefined) ?? 0.2),
    );
  }
  return out.info;
}

/** The matrix-product kernels, by tfjs kernel name. */
export const MATMUL_KERNELS: Readonly<Record<string, NativeKernel>> = {
  BatchMatMul: (args, lib) => matmul(args, lib, false),
  _FusedMatMul: (args, lib) => matmul(args, lib, true),
};
