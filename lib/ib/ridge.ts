/**
 * Ridge regression (linear least squares with an L2 penalty) and the held-out scores used by the
 * reversibility measure: R² and PSNR.
 * @module
 */
import { choleskySolve, cholesky, columnMeans, crossProduct, type Matrix } from "./linalg.ts";

/** A fitted affine map `y = (x - xMean) W + yMean`. */
export interface RidgeModel {
  /** d_x x d_y weights (on centred inputs). */
  weights: Matrix;
  xMean: Float64Array;
  yMean: Float64Array;
  /** The penalty used (absolute, on centred inputs). */
  lambda: number;
}

/** Options of {@link fitRidge}. */
export interface RidgeOptions {
  /**
   * Penalty relative to the mean diagonal of the centred `XᵀX` (so it is scale-free):
   * `lambda = alpha * trace(XᵀX) / d`. Default 1e-3.
   */
  alpha?: number;
}

/**
 * Fit ridge regression on rows of `x` (n x d) to rows of `y` (n x k): minimises
 * `‖Y_c - X_c W‖² + lambda ‖W‖²` on centred data (the intercept is not penalised). Solved by
 * Cholesky of `X_cᵀX_c + lambda I`.
 */
export function fitRidge(x: Matrix, y: Matrix, opts: RidgeOptions = {}): RidgeModel {
  if (x.rows !== y.rows) throw new RangeError(`Cannot fit ridge: ${x.rows} input rows, ${y.rows} target rows`);
  if (x.rows < 2) throw new RangeError(`Cannot fit ridge: expected at least 2 samples, got ${x.rows}`);
  const xMean = columnMeans(x);
  const yMean = columnMeans(y);
  const xtx = crossProduct(x, x, xMean, xMean);
  const xty = crossProduct(x, y, xMean, yMean);
  let trace = 0;
  for (let i = 0; i < x.cols; i++) trace += xtx.data[i * x.cols + i];
  const lambda = Math.max((opts.alpha ?? 1e-3) * trace / Math.max(x.cols, 1), 1e-12);
  for (let i = 0; i < x.cols; i++) xtx.data[i * x.cols + i] += lambda;
  return { weights: choleskySolve(cholesky(xtx), xty), xMean, yMean, lambda };
}

/** Apply a fitted ridge model to rows of `x`. */
export function predictRidge(m: RidgeModel, x: Matrix): Matrix {
  const d = m.weights.rows;
  const k = m.weights.cols;
  if (x.cols !== d) throw new RangeError(`Cannot predict: model expects ${d} inputs, got ${x.cols}`);
  const out: Matrix = { rows: x.rows, cols: k, data: new Float64Array(x.rows * k) };
  for (let i = 0; i < x.rows; i++) {
    for (let c = 0; c < k; c++) out.data[i * k + c] = m.yMean[c];
    for (let j = 0; j < d; j++) {
      const v = x.data[i * d + j] - m.xMean[j];
      if (v === 0) continue;
      for (let c = 0; c < k; c++) out.data[i * k + c] += v * m.weights.data[j * k + c];
    }
  }
  return out;
}

/**
 * Coefficient of determination over all target columns: `1 - SSE / SST`, SST about the per-column
 * mean of `truth`. 1 is perfect, 0 is no better than predicting the mean, negative is worse.
 */
export function rSquared(pred: Matrix, truth: Matrix): number {
  if (pred.rows !== truth.rows || pred.cols !== truth.cols) {
    throw new RangeError(`Cannot score: prediction ${pred.rows}x${pred.cols}, truth ${truth.rows}x${truth.cols}`);
  }
  const m = columnMeans(truth);
  let sse = 0;
  let sst = 0;
  for (let i = 0; i < truth.data.length; i++) {
    sse += (pred.data[i] - truth.data[i]) ** 2;
    sst += (truth.data[i] - m[i % truth.cols]) ** 2;
  }
  return sst > 0 ? 1 - sse / sst : (sse === 0 ? 1 : -Infinity);
}

/** Peak signal-to-noise ratio in dB for values in [0, peak]: `10 log10(peak² / MSE)` (predictions clipped). */
export function psnr(pred: Matrix, truth: Matrix, peak = 1): number {
  if (pred.data.length !== truth.data.length) {
    throw new RangeError(`Cannot score: ${pred.data.length} predictions for ${truth.data.length} values`);
  }
  let sse = 0;
  for (let i = 0; i < truth.data.length; i++) {
    const p = Math.min(Math.max(pred.data[i], 0), peak);
    sse += (p - truth.data[i]) ** 2;
  }
  const mse = sse / truth.data.length;
  return mse > 0 ? 10 * Math.log10(peak * peak / mse) : Infinity;
}

/**
 * Solve the ridge normal equations `(G + lambda P) W = R` for `G = XᵀX`, `R = XᵀY` (uncentred;
 * `P` is the identity except a 0 at `freeIndex`, the column of ones that carries the intercept,
 * which is not penalised). Returns W (d x k).
 */
export function solveRidge(gram: Matrix, xty: Matrix, lambda: number, freeIndex = -1): Matrix {
  const d = gram.rows;
  const a: Matrix = { rows: d, cols: d, data: Float64Array.from(gram.data) };
  for (let i = 0; i < d; i++) if (i !== freeIndex) a.data[i * d + i] += lambda;
  return choleskySolve(cholesky(a), xty);
}

/** Matrix product `a b`. */
export function matMul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new RangeError(`Cannot multiply ${a.rows}x${a.cols} by ${b.rows}x${b.cols}`);
  const out: Matrix = { rows: a.rows, cols: b.cols, data: new Float64Array(a.rows * b.cols) };
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) {
      const v = a.data[i * a.cols + j];
      if (v === 0) continue;
      for (let k = 0; k < b.cols; k++) out.data[i * b.cols + k] += v * b.data[j * b.cols + k];
    }
  }
  return out;
}
