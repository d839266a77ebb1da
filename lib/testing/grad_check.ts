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
 * Relative error = |a - n| / max(|a|, |n|, floor) with `floor` absorbing float32 noise.
 */
export function gradCheck(
  f: (...xs: tf.Tensor[]) => tf.Scalar,
  xs: tf.Tensor[],
  opts: { eps?: number; samples?: number; floor?: number; seed?: number } = {},
): GradCheckResult {
  const { eps = 1e-2, samples = 6, floor = 1e-2 } = opts;
  let seed = opts.seed ?? 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const analytic = tf.tidy(() => tf.grads(f)(xs).map((g) => g.dataSync().slice()));
  let res: GradCheckResult = { maxRelError: 0, worst: { arg: -1, index: -1, analytic: 0, numeric: 0 } };
  xs.forEach((x, a) => {
    const base = x.dataSync().slice();
    for (let s = 0; s < samples; s++) {
      const idx = Math.floor(rand() * base.length);
      const at = (d: number) =>
        tf.tidy(() => {
          const v = base.slice();
          v[idx] += d;
          const args = xs.map((y, j) => (j === a ? tf.tensor(v, x.shape) : y));
          return f(...args).dataSync()[0];
        });
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      const an = analytic[a][idx];
      const rel = Math.abs(an - numeric) / Math.max(Math.abs(an), Math.abs(numeric), floor);
      if (rel > res.maxRelError) res = { maxRelError: rel, worst: { arg: a, index: idx, analytic: an, numeric } };
    }
  });
  return res;
}
