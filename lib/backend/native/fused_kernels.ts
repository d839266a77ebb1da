/**
 * Kernels of the native backend that tfjs does not have, with their gradients: per-channel
 * `act(x * scale + shift)` (eval-mode BatchNorm + activation, conv bias + activation) and
 * BatchNorm with batch statistics + activation, each a single pass forward and two passes backward
 * in the shim (`csrc/bn.c`). They exist only on `native`; `fused_ops.ts` decides when to use them.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { check, type NativeSymbols } from "./ffi.ts";
import { f32, type KernelArgs, type NativeKernel, output } from "./tensors.ts";

/** Activation codes of the fused kernels (`yn_act` in `csrc/yn.h`), by the model's names. */
export const FUSED_ACTS: Readonly<Record<string, number>> = { none: 0, linear: 0, relu: 1, silu: 6 };

/** Kernel names: per-channel affine + activation, and its gradient. */
export const AFFINE_ACT = "YnAffineAct", AFFINE_ACT_GRAD = "YnAffineActGrad";
/** Kernel names: BatchNorm with batch statistics + activation, and its gradient. */
export const BN_ACT = "YnBatchNormAct", BN_ACT_GRAD = "YnBatchNormActGrad";

function rows(x: tf.TensorInfo): [number, number] {
  const c = x.shape[x.shape.length - 1];
  return [tf.util.sizeFromShape(x.shape) / c, c];
}

function arrays(backend: KernelArgs["backend"], infos: tf.TensorInfo[], what: string): Float32Array[] {
  return infos.map((t, i) => {
    const v = f32(backend, t);
    if (!v) {
      throw new Error(`${what}: input ${i} must be a float32 tensor on the native backend, got ${t.dtype}`);
    }
    return v;
  });
}

const affineAct: NativeKernel = ({ inputs, backend, attrs }, lib) => {
  const { x, scale, shift } = inputs as Record<string, tf.TensorInfo>;
  const [xv, sv, hv] = arrays(backend, [x, scale, shift], AFFINE_ACT);
  const [m, c] = rows(x);
  const y = output(backend, [...x.shape]);
  check(AFFINE_ACT, lib.yn_affine_act(attrs!.act as number, m, c, xv, sv, hv, y.values as Float32Array));
  return y.info;
};

const affineActGrad: NativeKernel = ({ inputs, backend, attrs }, lib) => {
  const { dy, x, scale, shift } = inputs as Record<string, tf.TensorInfo>;
  const [dyv, xv, sv, hv] = arrays(backend, [dy, x, scale, shift], AFFINE_ACT_GRAD);
  const [m, c] = rows(x);
  const dx = output(backend, [...x.shape]), ds = output(backend, [c]), dh = output(backend, [c]);
  check(
    AFFINE_ACT_GRAD,
    lib.yn_affine_act_grad(
      attrs!.act as number,
      m,
      c,
      xv,
      sv,
      hv,
      dyv,
      dx.values as Float32Array,
      ds.values as Float32Array,
      dh.values as Float32Array,
    ),
  );
  return [dx.info, ds.info, dh.info];
};

const bnAct: NativeKernel = ({ inputs, backend, attrs }, lib) => {
  const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
  const [xv, gv, bv] = arrays(backend, [x, gamma, beta], BN_ACT);
  const [m, c] = rows(x);
  const y = output(backend, [...x.shape]), mean = output(backend, [c]), variance = output(backend, [c]);
  check(
    BN_ACT,
    lib.yn_bn_train(
      attrs!.act as number,
      m,
      c,
      attrs!.eps as number,
      xv,
      gv,
      bv,
      y.values as Float32Array,
      mean.values as Float32Array,
      variance.values as Float32Array,
    ),
  );
  return [y.info, mean.info, variance.info];
};

const bnActGrad: NativeKernel = ({ inputs, backend, attrs }, lib: NativeSymbols) => {
  const { dy, x, gamma, beta, mean, variance } = inputs as Record<string, tf.TensorInfo>;
  const [dyv, xv, gv, bv, mv, vv] = arrays(backend, [dy, x, gamma, beta, mean, variance], BN_ACT_GRAD);
  const [m, c] = rows(x);
  const dx = output(backend, [...x.shape]), dg = output(backend, [c]), db = output(backend, [c]);
  check(
    BN_ACT_GRAD,
    lib.yn_bn_train_grad(
      attrs!.act as number,
      m,
      c,
      attrs!.eps as number,
      xv,
      gv,
      bv,
      mv,
      vv,
      dyv,
      dx.values as Float32Array,
      dg.values as Float32Array,
      db.values as Float32Array,
    ),
  );
  return [dx.info, dg.info, db.info];
};

/** The fused kernels, by name. */
export const FUSED_KERNELS: Readonly<Record<string, NativeKernel>> = {
  [AFFINE_ACT]: affineAct,
  [AFFINE_ACT_GRAD]: affineActGrad,
  [BN_ACT]: bnAct,
  [BN_ACT_GRAD]: bnActGrad,
};

let gradientsRegistered = false;

/** Register the gradients of the fused kernels (once; they only ever run on `native`). */
export function registerFusedGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: AFFINE_ACT,
    inputsToSave: ["x", "scale", "shift"],
    gradFunc: (dy, saved, attrs) => {
      const [x, scale, shift] = saved;
      const [dx, ds, dh] = tf.engine().runKernel(
        AFFINE_ACT_GRAD,
        { dy: dy as tf.Tensor, x, scale, shift },
        attrs,
      ) as tf.Tensor[];
      return { x: () => dx, scale: () => ds, shift: () => dh };
    },
  });
  tf.registerGradient({
    kernelName: BN_ACT,
    inputsToSave: ["x", "gamma", "beta"],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      // Only y's gradient flows: the statistics outputs feed the running averages, outside the loss.
      const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
      const [x, gamma, beta, mean, variance] = saved;
      const [dx, dg, db] = tf.engine().runKernel(
        BN_ACT_GRAD,
        { dy, x, gamma, beta, mean, variance },
        attrs,
      ) as tf.Tensor[];
      return { x: () => dx, gamma: () => dg, beta: () => db };
    },
  });
}
