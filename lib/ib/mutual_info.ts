/**
 * Mutual-information estimators between two continuous multivariate samples (rows = samples), in
 * nats. Used for the information-bottleneck measure "I(input patch; features)" (paper Sec. 3, Eq. 1).
 *
 * - {@link ksgMutualInfo}: Kraskov-Stögbauer-Grassberger estimator 1 (Phys. Rev. E 69, 066138, 2004),
 *   k nearest neighbours in the max-norm. Non-parametric: sees non-linear dependence. Bias: close to
 *   unbiased for independent data and low MI; biased towards 0 (underestimates) when the MI is large
 *   or the dimension high (it can hardly report more than about ln(n / k) nats), and it assumes i.i.d.
 *   samples (correlated samples make it overconfident, not unbiased).
 * - {@link gaussianMutualInfo}: the MI of the Gaussian with the sample covariance,
 *   `½(ln det Σx + ln det Σy - ln det Σxy)`, equivalently `-½ Σ ln(1 - ρᵢ²)` over canonical
 *   correlations. Exact for jointly Gaussian data; for other data it measures only linear dependence.
 *   Finite-sample bias is upward, about `dx·dy / (2n)` nats for independent data.
 * @module
 */
import { covariance, logDet, type Matrix } from "./linalg.ts";

/** Euler-Mascheroni constant. */
const EULER_GAMMA = 0.5772156649015329;

/** Digamma ψ(n) for positive integers: `-γ + Σ_{k<n} 1/k`. */
export function digammaInt(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`digammaInt: expected a positive integer, got ${n}`);
  let s = -EULER_GAMMA;
  for (let k = 1; k < n; k++) s += 1 / k;
  return s;
}

function harmonicTable(n: number): Float64Array {
  const psi = new Float64Array(n + 2);
  psi[1] = -EULER_GAMMA;
  for (let i = 2; i < psi.length; i++) psi[i] = psi[i - 1] + 1 / (i - 1);
  return psi;
}

/** Columns scaled to unit sample standard deviation (constant columns left at 0); a copy. */
export function standardizeColumns(x: Matrix): Matrix {
  const out = { rows: x.rows, cols: x.cols, data: new Float64Array(x.data.length) };
  for (let j = 0; j < x.cols; j++) {
    let m = 0;
    for (let i = 0; i < x.rows; i++) m += x.data[i * x.cols + j];
    m /= x.rows;
    let v = 0;
    for (let i = 0; i < x.rows; i++) v += (x.data[i * x.cols + j] - m) ** 2;
    const sd = Math.sqrt(v / Math.max(x.rows - 1, 1));
    for (let i = 0; i < x.rows; i++) out.data[i * x.cols + j] = sd > 0 ? (x.data[i * x.cols + j] - m) / sd : 0;
  }
  return out;
}

function checkPair(x: Matrix, y: Matrix, what: string): void {
  if (x.rows !== y.rows) throw new RangeError(`${what}: expected paired samples, got ${x.rows} and ${y.rows} rows`);
}

/**
 * KSG estimator 1 of I(X; Y) in nats: `ψ(k) + ψ(n) - ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩`, where ε_i is the
 * max-norm distance from sample i to its k-th neighbour in the joint space and n_x (n_y) count the
 * other samples strictly closer than ε_i in X (Y) alone. Columns are standardised first (the
 * estimate depends on the metric at finite n). Ties (duplicated samples) inflate it: dequantise
 * discrete data first. O(n² (dx + dy)) time, O(n) memory.
 */
export function ksgMutualInfo(x: Matrix, y: Matrix, k = 3): number {
  checkPair(x, y, "ksgMutualInfo");
  const n = x.rows;
  if (!Number.isInteger(k) || k < 1 || k >= n) throw new RangeError(`ksgMutualInfo: expected 1 <= k < n = ${n}, got k = ${k}`);
  const xs = standardizeColumns(x);
  const ys = standardizeColumns(y);
  const psi = harmonicTable(n);
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  const best = new Float64Array(k);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    best.fill(Infinity);
    for (let j = 0; j < n; j++) {
      let a = 0;
      for (let c = 0; c < xs.cols; c++) a = Math.max(a, Math.abs(xs.data[i * xs.cols + c] - xs.data[j * xs.cols + c]));
      let b = 0;
      for (let c = 0; c < ys.cols; c++) b = Math.max(b, Math.abs(ys.data[i * ys.cols + c] - ys.data[j * ys.cols + c]));
      dx[j] = a;
      dy[j] = b;
      if (j === i) continue;
      const d = Math.max(a, b);
      if (d < best[k - 1]) {
        let p = k - 1;
        while (p > 0 && best[p - 1] > d) {
          best[p] = best[p - 1];
          p--;
        }
        best[p] = d;
      }
    }
    const eps = best[k - 1];
    let nx = 0;
    let ny = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      if (dx[j] < eps) nx++;
      if (dy[j] < eps) ny++;
    }
    acc += psi[nx + 1] + psi[ny + 1];
  }
  return psi[k] + psi[n] - acc / n;
}

/**
 * Gaussian (log-determinant) estimate of I(X; Y) in nats: `½(ln det Σx + ln det Σy - ln det Σ)`,
 * Σ the joint sample covariance. A ridge of `1e-9 · mean variance` keeps rank-deficient
 * covariances invertible.
 */
export function gaussianMutualInfo(x: Matrix, y: Matrix): number {
  checkPair(x, y, "gaussianMutualInfo");
  const joint: Matrix = { rows: x.rows, cols: x.cols + y.cols, data: new Float64Array(x.rows * (x.cols + y.cols)) };
  for (let i = 0; i < x.rows; i++) {
    joint.data.set(x.data.subarray(i * x.cols, (i + 1) * x.cols), i * joint.cols);
    joint.data.set(y.data.subarray(i * y.cols, (i + 1) * y.cols), i * joint.cols + x.cols);
  }
  const c = covariance(joint);
  const d = joint.cols;
  let tr = 0;
  for (let i = 0; i < d; i++) tr += c.data[i * d + i];
  const eps = 1e-9 * tr / d + 1e-300;
  for (let i = 0; i < d; i++) c.data[i * d + i] += eps;
  const block = (from: number, size: number): Matrix => {
    const m: Matrix = { rows: size, cols: size, data: new Float64Array(size * size) };
    for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) m.data[i * size + j] = c.data[(from + i) * d + from + j];
    return m;
  };
  const v = 0.5 * (logDet(block(0, x.cols)) + logDet(block(x.cols, y.cols)) - logDet(c));
  return Math.max(v, 0);
}
