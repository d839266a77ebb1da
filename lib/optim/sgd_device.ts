/**
 * Nesterov SGD and `clip_grad_norm_`'s total norm as the backend's tensor ops, for backends whose reads
 * are asynchronous or slow (webgpu): the parameters, gradients and momentum buffers stay on the device.
 * The same float32 formulas as the array update of sgd.ts (`torch.optim.SGD.step()`, dampening 0, and
 * `torch.nn.utils.clip_grad_norm_`; reference spec §5.3), one kernel per operation, so each value equals
 * it to the last bit where the backend's float32 arithmetic is IEEE (no fused multiply-add across kernels).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { GroupIndex } from "./param_groups.ts";
import { checkSgdArgs, type SgdState, type SgdUpdateSettings } from "./sgd.ts";

/**
 * One `torch.optim.SGD.step()` as tensor ops: for each parameter p with gradient g of group k,
 * `d = g scale`, `d = d + p wd_k`; `buf = d` on the parameter's first step (`buf` null), else
 * `buf = buf mu_k + d`; Nesterov `d = d + buf mu_k` (else `d = buf`); `p' = p - d lr_k`. Returns new
 * parameter and momentum tensors (a null buffer for a group without momentum); the inputs are left alone.
 *
 * @example
 * ```ts
 * const p = tf.tensor1d([1, 2]), g = tf.tensor1d([0.5, -1]);
 * const cfg = { lr: [0.1, 0.1, 0.1], momentum: [0.9, 0.9, 0.9], weightDecay: [0, 5e-4, 0], nesterov: true };
 * const { params, state } = sgdStepDevice([p], [g], { buffers: [null] }, [1], cfg);
 * ```
 */
export function sgdStepDevice(
  params: readonly tf.Tensor[],
  grads: readonly tf.Tensor[],
  state: SgdState,
  groups: readonly GroupIndex[],
  cfg: SgdUpdateSettings,
): { params: tf.Tensor[]; state: SgdState } {
  const n = params.length, buffers = state.buffers;
  checkSgdArgs(n, grads.length, buffers.length, groups.length);
  const f = Math.fround;
  const scale = f(cfg.gradScale ?? 1);
  // One scalar tensor per distinct setting, made before the per-parameter scopes (numbers given to ops
  // would each become a new tensor).
  const scalars = new Map<number, tf.Scalar>();
  for (const v of [scale, ...cfg.lr, ...cfg.momentum, ...cfg.weightDecay].map(f)) {
    if (!scalars.has(v)) scalars.set(v, tf.scalar(v));
  }
  const s = (v: number) => scalars.get(v)!;
  const outP: tf.Tensor[] = [], outB: (tf.Tensor | null)[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const k = groups[i];
      const lr = f(cfg.lr[k]), mu = f(cfg.momentum[k]), wd = f(cfg.weightDecay[k]);
      const p = params[i], g = grads[i], b = buffers[i];
      if (g.size !== p.size || (b && b.size !== p.size)) {
        throw new RangeError(
          `Cannot step SGD: parameter ${i} has ${p.size} values, gradient ${g.size}, buffer ${b?.size}`,
        );
      }
      const [np, nb] = tf.tidy(() => {
        let d = scale === 1 ? g : tf.mul(g, s(scale));
        if (wd !== 0) d = tf.add(d, tf.mul(p, s(wd)));
        if (mu === 0) return [tf.sub(p, tf.mul(d, s(lr)))];
        // A first-step buffer that is the gradient itself is a new tensor over the same values.
        const buf = b ? tf.add(tf.mul(b, s(mu)), d) : d === g ? tf.clone(g) : d;
        d = cfg.nesterov ? tf.add(d, tf.mul(buf, s(mu))) : buf;
        return [tf.sub(p, tf.mul(d, s(lr))), buf];
      });
      outP.push(np);
      outB.push(nb ?? null);
    }
  } catch (e) {
    tf.dispose([...outP, ...outB.filter((t) => t !== null)]);
    throw e;
  } finally {
    tf.dispose([...scalars.values()]);
  }
  return { params: outP, state: { buffers: outB } };
}

/**
 * `clip_grad_norm_`'s total 2-norm of all gradients as a scalar tensor (sums of squares per tensor,
 * summed, in float32; the array version sgd.ts `totalNorm` accumulates in float64).
 *
 * @example
 * ```ts
 * const norm = totalNormDevice([tf.tensor1d([3]), tf.tensor1d([4])]); // 5
 * ```
 */
export function totalNormDevice(grads: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (!grads.length) return tf.scalar(0);
    // Stacked, not `addN`: one webgpu AddN kernel binds every input, beyond the storage-buffer limit.
    const sums = grads.map((g) => tf.sum(tf.square(g)));
    return tf.sqrt(tf.sum(tf.stack(sums)));
  });
}
