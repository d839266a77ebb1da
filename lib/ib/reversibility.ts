/**
 * Reversibility (paper Sec. 3.2, Eq. 2-3: a function is reversible when its input can be recovered
 * from its output): how well the input image can be reconstructed from a feature map by a fitted
 * linear decoder.
 *
 * Definition: for every map cell, the features of its `window` x `window` neighbourhood
 * (standardised with training statistics) predict the s x s x 3 input pixels under the cell by ridge
 * regression with an intercept. The cells form an 8 x 8-cell checkerboard: the decoder is fitted on
 * one colour and scored on the other (held-out cells): R² (1 - SSE/SST over all held-out pixel values;
 * 1 = perfect, 0 = no better than the held-out mean colour, slightly negative = worse) and PSNR in dB
 * (pixels in [0, 1], predictions clipped), with the PSNR of the uninformative prediction (the held-out
 * mean colour) beside it, so that the PSNR gain over that floor (3.01 dB at R² = 0.5) can be read. The penalty is chosen from `alphas` (relative to the mean
 * feature energy) by 2-fold cross-validation inside the training cells (alternate block rows).
 *
 * Limits: a linear, local decoder gives a lower bound on what is recoverable (a non-linear or wider
 * decoder may recover more; information can be present yet not linearly readable). Held-out cells
 * come from the same image, so it measures recoverability within one image, not generalisation to
 * other images. The R² of an uninformative map is about 0, not exactly 0 (mean shift between halves).
 * @module
 */
import { columnMeans, crossProduct, type Matrix } from "./linalg.ts";
import { matMul, psnr, rSquared, solveRidge } from "./ridge.ts";
import { cellSize, checkerboardSplit, type FeatureMap, featureRows, type FloatImage, patchRows, rowsWhere } from "./samples.ts";

/** Options of {@link reversibility}. */
export interface ReversibilityOptions {
  /** Neighbourhood of cells whose features feed the decoder (odd; default 3). */
  window?: number;
  /** Checkerboard block size in cells (default 8). */
  block?: number;
  /** Candidate penalties relative to the mean feature energy (default 1e-4 ... 100, decades). */
  alphas?: number[];
  /** `aᵀb` implementation (default the exact float64 loop; {@link tfCrossProduct} is faster). */
  gram?: (a: Matrix, b: Matrix) => Matrix;
}

/** Decoder scores. */
export interface ReversibilityScore {
  /** R² on held-out cells. */
  r2: number;
  /** PSNR (dB) on held-out cells. */
  psnr: number;
  /** PSNR (dB) of the uninformative prediction (each held-out column's own mean, R² = 0): `psnr - psnrFloor` is the gain. */
  psnrFloor: number;
  /** R² on the training cells (the gap to `r2` shows overfitting). */
  trainR2: number;
  /** The penalty chosen by cross-validation. */
  alpha: number;
}

/** Default penalty grid. */
export const DEFAULT_ALPHAS: readonly number[] = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100];

/** Standardise `train` and `test` columns with the training statistics and append a column of ones. */
export function standardizePair(train: Matrix, test: Matrix): [Matrix, Matrix] {
  const d = train.cols;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let i = 0; i < train.rows; i++) for (let j = 0; j < d; j++) mean[j] += train.data[i * d + j] / train.rows;
  for (let i = 0; i < train.rows; i++) for (let j = 0; j < d; j++) sd[j] += (train.data[i * d + j] - mean[j]) ** 2 / train.rows;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]) || 1;
  const apply = (m: Matrix): Matrix => {
    const out = { rows: m.rows, cols: d + 1, data: new Float64Array(m.rows * (d + 1)) };
    for (let i = 0; i < m.rows; i++) {
      for (let j = 0; j < d; j++) out.data[i * (d + 1) + j] = (m.data[i * d + j] - mean[j]) / sd[j];
      out.data[i * (d + 1) + d] = 1;
    }
    return out;
  };
  return [apply(train), apply(test)];
}

function meanDiag(g: Matrix): number {
  let s = 0;
  for (let i = 0; i < g.rows - 1; i++) s += g.data[i * g.cols + i];
  // Constant (e.g. vanished) features have zero energy: keep the penalty positive.
  return Math.max(s / Math.max(g.rows - 1, 1), 1e-9);
}

function add(a: Matrix, b: Matrix): Matrix {
  return { rows: a.rows, cols: a.cols, data: a.data.map((v, i) => v + b.data[i]) };
}

function sse(pred: Matrix, truth: Matrix): number {
  let s = 0;
  for (let i = 0; i < truth.data.length; i++) s += (pred.data[i] - truth.data[i]) ** 2;
  return s;
}

/** Fit the decoder on the training cells (penalty by inner cross-validation) and score the held-out cells. */
export function reversibility(f: FeatureMap, img: FloatImage, opts: ReversibilityOptions = {}): ReversibilityScore {
  const s = cellSize(f, img);
  const block = opts.block ?? 8;
  const gram = opts.gram ?? ((a: Matrix, b: Matrix) => crossProduct(a, b));
  const split = checkerboardSplit(f.height, f.width, block);
  // Inner folds: training cells in even vs odd block rows.
  const fold = split.flatMap((train, p) => (train ? [Math.floor(Math.floor(p / f.width) / block) % 2 === 0] : []));
  if (!split.includes(false) || !fold.includes(false) || !fold.includes(true)) {
    throw new RangeError(`Cannot hold out cells: a ${f.height}x${f.width} map needs at least 2 x 2 blocks of ${block} cells`);
  }
  const x = featureRows(f, opts.window ?? 3);
  const y = patchRows(img, s);
  const [xTrain, xTest] = standardizePair(rowsWhere(x, split, true), rowsWhere(x, split, false));
  const yTrain = rowsWhere(y, split, true);
  const yTest = rowsWhere(y, split, false);
  const free = xTrain.cols - 1;
  const [xa, xb, ya, yb] = [rowsWhere(xTrain, fold, true), rowsWhere(xTrain, fold, false), rowsWhere(yTrain, fold, true), rowsWhere(yTrain, fold, false)];
  const [ga, gb, ra, rb] = [gram(xa, xa), gram(xb, xb), gram(xa, ya), gram(xb, yb)];
  let best = { alpha: NaN, err: Infinity };
  for (const alpha of opts.alphas ?? DEFAULT_ALPHAS) {
    const err = sse(matMul(xb, solveRidge(ga, ra, alpha * meanDiag(ga), free)), yb) +
      sse(matMul(xa, solveRidge(gb, rb, alpha * meanDiag(gb), free)), ya);
    if (err < best.err) best = { alpha, err };
  }
  const g = add(ga, gb);
  const w = solveRidge(g, add(ra, rb), best.alpha * meanDiag(g), free);
  const pred = matMul(xTest, w);
  const floor: Matrix = { rows: yTest.rows, cols: yTest.cols, data: new Float64Array(yTest.data.length) };
  const m = columnMeans(yTest);
  for (let i = 0; i < floor.data.length; i++) floor.data[i] = m[i % yTest.cols];
  return { r2: rSquared(pred, yTest), psnr: psnr(pred, yTest), psnrFloor: psnr(floor, yTest), trainR2: rSquared(matMul(xTrain, w), yTrain), alpha: best.alpha };
}
