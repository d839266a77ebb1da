/**
 * Stochastic gradient descent with (Nesterov) momentum and per-group weight decay, step for step
 * as `torch.optim.SGD` (dampening 0), and `torch.nn.utils.clip_grad_norm_` (reference spec §5.3).
 * The update runs over plain arrays (flat.ts). Pure: new values are returned, inputs are left alone (unless
 * the caller donates them: `inPlace`).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { GroupIndex } from "./param_groups.ts";
import { newValues, ownedValues, peekValues, sgdArrays } from "../backend/port.ts";
import { tensorsOf, valuesOf } from "./flat.ts";

/** Momentum buffers, one per parameter (null before the parameter's first step, as PyTorch's lazy state). */
export interface SgdState {
  buffers: (tf.Tensor | null)[];
}

/** Per-group settings of one step (index = {@link GroupIndex}). */
export interface SgdGroupSettings {
  lr: readonly number[];
  momentum: readonly number[];
  weightDecay: readonly number[];
  nesterov: boolean;
}

/** Empty optimizer state for `n` parameters. */
export function initSgd(n: number): SgdState {
  return { buffers: new Array(n).fill(null) };
}

/** What one SGD update needs besides the arrays: per-group settings and a factor for the gradients. */
export interface SgdUpdateSettings extends SgdGroupSettings {
  /** Multiplies every gradient first (the `clip_grad_norm_` coefficient; default 1). */
  gradScale?: number;
}

/**
 * One `torch.optim.SGD.step()` over plain arrays (flat.ts): for each parameter p with gradient g of
 * group k, `d = g + wd_k p`; `buf = d` on the first step (`buf` null), else `buf = mu_k buf + d`;
 * Nesterov `d = d + mu_k buf` (else `d = buf`); `p' = p - lr_k d`, each operation rounded to float32.
 * Returns new arrays per parameter (a null buffer for a group without momentum), or writes into `into`'s
 * arrays, which may be the inputs themselves (each value is read before it is written); a null entry of
 * `into.buffers` gets a new array. One native call where the backend has one (bit-identical), else this loop.
 */
export function sgdUpdate(
  params: readonly ArrayLike<number>[],
  grads: readonly ArrayLike<number>[],
  buffers: readonly (ArrayLike<number> | null)[],
  groups: readonly GroupIndex[],
  cfg: SgdUpdateSettings,
  into?: { params: readonly Float32Array[]; buffers: readonly (Float32Array | null)[] },
): { params: Float32Array[]; buffers: (Float32Array | null)[] } {
  const n = params.length;
  checkSgdArgs(n, grads.length, buffers.length, groups.length);
  const f = Math.fround;
  const scale = f(cfg.gradScale ?? 1);
  const outP: Float32Array[] = [], outB: (Float32Array | null)[] = [];
  const hyper = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const k = groups[i];
    hyper[3 * i] = cfg.lr[k];
    hyper[3 * i + 1] = cfg.momentum[k];
    hyper[3 * i + 2] = cfg.weightDecay[k];
    const p = params[i], g = grads[i], b = buffers[i], size = p.length;
    if (g.length !== size || (b && b.length !== size)) {
      throw new RangeError(
        `Cannot step SGD: parameter ${i} has ${size} values, gradient ${g.length}, buffer ${b?.length}`,
      );
    }
    outP.push(into?.params[i] ?? newValues(size));
    outB.push(hyper[3 * i + 1] !== 0 ? into?.buffers[i] ?? newValues(size) : null);
    if (outP[i].length !== size || (outB[i] && outB[i]!.length !== size)) {
      throw new RangeError(`Cannot step SGD: output ${i} has ${outP[i].length} values, parameter ${size}`);
    }
  }
  const f32 = (a: ArrayLike<number> | null) => a === null || a instanceof Float32Array;
  const native = params.every(f32) && grads.every(f32) && buffers.every(f32) &&
    sgdArrays({
      params: params as Float32Array[],
      grads: grads as Float32Array[],
      buffers: buffers as (Float32Array | null)[],
      outParams: outP,
      outBuffers: outB,
      hyper,
      scale,
      nesterov: cfg.nesterov,
    });
  for (let i = 0; i < n && !native; i++) {
    const lr = hyper[3 * i], mu = hyper[3 * i + 1], wd = hyper[3 * i + 2];
    const p = params[i], g = grads[i], b = buffers[i], np = outP[i], nb = outB[i];
    for (let j = 0; j < p.length; j++) {
      let d = scale === 1 ? g[j] : f(g[j] * scale);
      if (wd !== 0) d = f(d + f(p[j] * wd));
      if (mu !== 0) {
        const buf = b ? f(f(b[j] * mu) + d) : d;
        nb![j] = buf;
        d = cfg.nesterov ? f(d + f(buf * mu)) : buf;
      }
      np[j] = f(p[j] - f(d * lr));
    }
  }
  return { params: outP, buffers: outB };
}

/**
 * {@link sgdUpdate} on tensors: new parameter and momentum tensors (a parameter of a group without
 * momentum keeps a null buffer, as PyTorch's lazy state); the inputs are left alone.
 *
 * @example
 * ```ts
 * const { params, state } = sgdStep([p], [g], initSgd(1), [1], { lr: [0.1, 0.1, 0.1], momentum: [0.9, 0.9, 0.9], weightDecay: [0, 5e-4, 0], nesterov: true });
 * ```
 */
export function sgdStep(
  params: readonly tf.Tensor[],
  grads: readonly tf.Tensor[],
  state: SgdState,
  groups: readonly GroupIndex[],
  cfg: SgdUpdateSettings,
): { params: tf.Tensor[]; state: SgdState } {
  return sgdStepGradValues(params, valuesOf(grads), state, groups, cfg);
}

/**
 * {@link sgdStep} with the gradients given as arrays (e.g. views of an accumulated flat array). With
 * `inPlace` (a donated state: the caller never uses the inputs again), parameters and momentum buffers
 * that no other tensor shares are updated in place and returned as they are (same tensors, same
 * `state.buffers` array once every buffer exists); otherwise, or where the backend has no in-place
 * access, new tensors.
 */
export function sgdStepGradValues(
  params: readonly tf.Tensor[],
  grads: readonly ArrayLike<number>[],
  state: SgdState,
  groups: readonly GroupIndex[],
  cfg: SgdUpdateSettings,
  o: { inPlace?: boolean } = {},
): { params: tf.Tensor[]; state: SgdState } {
  const shapes = params.map((p) => p.shape);
  const into = o.inPlace ? ownedArrays(params, state.buffers) : null;
  const r = sgdUpdate(valuesOf(params), grads, state.buffers.map((b) => b && peekValues(b)), groups, cfg, into ?? undefined);
  const made = r.buffers.flatMap((v, i) => (v && !(into && state.buffers[i]) ? [i] : []));
  const madeTensors = tensorsOf(made.map((i) => r.buffers[i]!), made.map((i) => shapes[i]));
  const buffers: (tf.Tensor | null)[] = r.buffers.map((v, i) => (into && v ? state.buffers[i] : null));
  made.forEach((i, k) => buffers[i] = madeTensors[k]);
  if (!into) return { params: tensorsOf(r.params, shapes), state: { buffers } };
  return { params: [...params], state: { buffers: made.length ? buffers : state.buffers } };
}

/** The parameters' and existing buffers' own arrays for an in-place step, or null unless every one is owned float32. */
function ownedArrays(
  params: readonly tf.Tensor[],
  buffers: readonly (tf.Tensor | null)[],
): { params: Float32Array[]; buffers: (Float32Array | null)[] } | null {
  const own = (t: tf.Tensor) => {
    const v = ownedValues(t);
    return v instanceof Float32Array ? v : null;
  };
  const p = params.map(own), b = buffers.map((t) => t && own(t));
  if (p.some((v) => !v) || b.some((v, i) => buffers[i] && !v)) return null;
  return { params: p as Float32Array[], buffers: b };
}

/** Throws unless there are as many gradients, momentum buffers and group indices as `n` parameters. */
export function checkSgdArgs(n: number, grads: number, buffers: number, groups: number): void {
  if (grads !== n || buffers !== n || groups !== n) {
    throw new RangeError(
      `Cannot step SGD: ${n} parameters, ${grads} gradients, ${buffers} momentum buffers, ${groups} group indices`,
    );
  }
}

/** The 2-norm of all values of all arrays (accumulated in float64). */
export function totalNorm(arrays: readonly ArrayLike<number>[]): number {
  let sq = 0;
  for (const a of arrays) for (let j = 0; j < a.length; j++) sq += a[j] * a[j];
  return Math.sqrt(sq);
}

/** `clip_grad_norm_`'s factor: `min(maxNorm / (norm + 1e-6), 1)`. */
export function clipCoefficient(norm: number, maxNorm: number): number {
  return Math.min(maxNorm / (norm + 1e-6), 1);
}

/**
 * `torch.nn.utils.clip_grad_norm_(params, maxNorm)` (2-norm): the total norm of all gradients and
 * the gradients scaled by `min(maxNorm / (norm + 1e-6), 1)`. Returns new tensors (the inputs when no
 * scaling is needed).
 */
export function clipGradNorm(
  grads: readonly tf.Tensor[],
  maxNorm: number,
): { grads: tf.Tensor[]; norm: number } {
  const norm = totalNorm(valuesOf(grads));
  const coef = clipCoefficient(norm, maxNorm);
  if (coef >= 1) return { grads: [...grads], norm };
  return { grads: grads.map((g) => tf.mul(g, coef)), norm };
}
