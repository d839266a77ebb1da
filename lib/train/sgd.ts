/**
 * Stochastic gradient descent with (Nesterov) momentum and per-group weight decay, step for step
 * as `torch.optim.SGD` (dampening 0), and `torch.nn.utils.clip_grad_norm_` (reference spec §5.3).
 * Pure: new tensors are returned, inputs are left alone (the caller disposes what it replaces).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { GroupIndex } from "./param_groups.ts";

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

/**
 * One `torch.optim.SGD.step()`: for each parameter p with gradient g of group k,
 * `d = g + wd_k p`; `buf = d` on the first step, else `buf = mu_k buf + d`; Nesterov `d = d + mu_k buf`
 * (else `d = buf`); `p' = p - lr_k d`.
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
  cfg: SgdGroupSettings,
): { params: tf.Tensor[]; state: SgdState } {
  if (grads.length !== params.length || state.buffers.length !== params.length || groups.length !== params.length) {
    throw new RangeError(
      `Cannot step SGD: ${params.length} parameters, ${grads.length} gradients, ` +
        `${state.buffers.length} momentum buffers, ${groups.length} group indices`,
    );
  }
  const newParams: tf.Tensor[] = [];
  const buffers: (tf.Tensor | null)[] = [];
  params.forEach((p, i) => {
    const k = groups[i];
    const lr = cfg.lr[k], mu = cfg.momentum[k], wd = cfg.weightDecay[k];
    const [np, nb = null] = tf.tidy((): tf.Tensor[] => {
      let d: tf.Tensor = wd !== 0 ? tf.add(grads[i], tf.mul(p, wd)) : grads[i];
      let buf: tf.Tensor | null = null;
      if (mu !== 0) {
        const old = state.buffers[i];
        buf = old ? tf.add(tf.mul(old, mu), d) : tf.clone(d);
        d = cfg.nesterov ? tf.add(d, tf.mul(buf, mu)) : buf;
      }
      const next = tf.sub(p, tf.mul(d, lr));
      return buf ? [next, buf] : [next];
    });
    newParams.push(np);
    buffers.push(nb);
  });
  return { params: newParams, state: { buffers } };
}

/**
 * `torch.nn.utils.clip_grad_norm_(params, maxNorm)` (2-norm): the total norm of all gradients and
 * the gradients scaled by `min(maxNorm / (norm + 1e-6), 1)`. Returns new tensors (the inputs when no
 * scaling is needed).
 */
export function clipGradNorm(grads: readonly tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: number } {
  const sq = tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  const norm = Math.sqrt(sq.dataSync()[0]);
  sq.dispose();
  const coef = Math.min(maxNorm / (norm + 1e-6), 1);
  if (coef >= 1) return { grads: [...grads], norm };
  return { grads: grads.map((g) => tf.mul(g, coef)), norm };
}
