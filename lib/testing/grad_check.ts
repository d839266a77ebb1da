/**
 * Finite-difference gradient checks in float32 (tfjs has no float64): central differences of a
 * scalar function at a few sampled coordinates, compared with `tf.grads`.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Result of {@link gradCheck}: the worst relative error and where. */
export interface GradCheckResult {
  maxRelError: number;
  worst: { arg: number; index: number; analytic: number; numeric: number };
}

/**
 * Compare `tf.grads(f)` with central differences at `samples` coordinates per argument.
 * Relative error = |a - n| / max(|a|, |n|, floor) with `floor` absorbing float32 noise. Values are
 * read with `await`, so it runs on every backend (webgpu too).
 *
 * @example
 * ```ts
 * const g = await gradCheck((x) => tf.sum(tf.square(x)), [tf.tensor1d([1, 2, 3])]);
 * g.maxRelError; // ~0
 * ```
 */
export async function gradCheck(
  f: (...xs: tf.Tensor[]) => tf.Scalar,
  xs: tf.Tensor[],
  opts: { eps?: number; samples?: number; floor?: number; seed?: number } = {},
): Promise<GradCheckResult> {
  const { eps = 1e-2, samples = 6, floor = 1e-2 } = opts;
  let seed = opts.seed ?? 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const grads = tf.tidy(() => tf.grads(f)(xs));
  const analytic = await Promise.all(grads.map(async (g) => (await g.data()).slice()));
  tf.dispose(grads);
  let res: GradCheckResult = { maxRelError: 0, worst: { arg: -1, index: -1, analytic: 0, numeric: 0 } };
  for (const [a, x] of xs.entries()) {
    const base = (await x.data()).slice();
    const at = async (idx: number, d: number) => {
      const v = base.slice();
      v[idx] += d;
      const moved = tf.tensor(v, x.shape, x.dtype);
      const y = tf.tidy(() => f(...xs.map((t, j) => (j === a ? moved : t))));
      const value = (await y.data())[0];
      tf.dispose([moved, y]);
      return value;
    };
    for (let s = 0; s < samples; s++) {
      const idx = Math.floor(rand() * base.length);
      const numeric = ((await at(idx, eps)) - (await at(idx, -eps))) / (2 * eps);
      const an = analytic[a][idx];
      const rel = Math.abs(an - numeric) / Math.max(Math.abs(an), Math.abs(numeric), floor);
      if (rel > res.maxRelError) res = { maxRelError: rel, worst: { arg: a, index: idx, analytic: an, numeric } };
    }
  }
  return res;
}
