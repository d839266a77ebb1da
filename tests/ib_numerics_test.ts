import { equal, ok, throws } from "node:assert/strict";
import { createRng, rngNormal } from "../lib/data/rng.ts";
import { cholesky, covariance, logDet, type Matrix, symEigen } from "../lib/ib/linalg.ts";
import { fitRidge, predictRidge, psnr, rSquared } from "../lib/ib/ridge.ts";
import { digammaInt, gaussianMutualInfo, ksgMutualInfo } from "../lib/ib/mutual_info.ts";

function randn(rows: number, cols: number, seed: number): Matrix {
  const rng = createRng(seed);
  return { rows, cols, data: Float64Array.from({ length: rows * cols }, () => rngNormal(rng)) };
}

/** n samples of d independent pairs (x_i, y_i) with correlation rho: I = -d/2 ln(1 - rho²). */
function correlatedPairs(n: number, d: number, rho: number, seed: number): [Matrix, Matrix] {
  const a = randn(n, d, seed);
  const b = randn(n, d, seed + 1);
  const y = { rows: n, cols: d, data: a.data.map((v, i) => rho * v + Math.sqrt(1 - rho * rho) * b.data[i]) };
  return [a, y];
}

Deno.test("linalg: Cholesky, log-determinant and Jacobi eigenvalues on known matrices", () => {
  const a: Matrix = { rows: 3, cols: 3, data: Float64Array.from([4, 2, 0, 2, 5, 1, 0, 1, 3]) };
  const l = cholesky(a);
  // L Lᵀ reproduces a.
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += l.data[i * 3 + k] * l.data[j * 3 + k];
      ok(Math.abs(s - a.data[i * 3 + j]) < 1e-12);
    }
  }
  // det = 4*(15-1) - 2*(6-0) = 44.
  ok(Math.abs(logDet(a) - Math.log(44)) < 1e-12);
  const { values, vectors } = symEigen(a);
  const tr = values.reduce((s, v) => s + v, 0);
  ok(Math.abs(tr - 12) < 1e-10, `trace ${tr}`);
  ok(Math.abs(values.reduce((p, v) => p * v, 1) - 44) < 1e-9);
  ok(values[0] >= values[1] && values[1] >= values[2]);
  // A v = lambda v for the top eigenvector.
  for (let i = 0; i < 3; i++) {
    let av = 0;
    for (let k = 0; k < 3; k++) av += a.data[i * 3 + k] * vectors.data[k * 3];
    ok(Math.abs(av - values[0] * vectors.data[i * 3]) < 1e-9);
  }
  throws(() => cholesky({ rows: 2, cols: 2, data: Float64Array.from([1, 2, 2, 1]) }), /not positive definite/);
});

Deno.test("ridge: recovers a known linear map exactly without noise and scores R² = 1 / PSNR = Infinity", () => {
  const x = randn(200, 5, 1);
  const w = [0.5, -1, 2, 0, 0.25];
  const y: Matrix = { rows: 200, cols: 1, data: new Float64Array(200) };
  for (let i = 0; i < 200; i++) y.data[i] = 0.3 + w.reduce((s, wj, j) => s + wj * x.data[i * 5 + j], 0);
  const m = fitRidge(x, y, { alpha: 1e-10 });
  // Weights act on centred inputs; the intercept is yMean - xMean·W.
  w.forEach((wj, j) => ok(Math.abs(m.weights.data[j] - wj) < 1e-6, `w${j} ${m.weights.data[j]} vs ${wj}`));
  const pred = predictRidge(m, x);
  ok(rSquared(pred, y) > 1 - 1e-10);
  // Predicting the mean gives R² = 0.
  const mean: Matrix = { rows: 200, cols: 1, data: new Float64Array(200).fill(y.data.reduce((a, v) => a + v, 0) / 200) };
  ok(Math.abs(rSquared(mean, y)) < 1e-12);
  // PSNR of a constant error of 0.1 on [0, 1] values is 20 dB.
  const t: Matrix = { rows: 4, cols: 1, data: Float64Array.from([0.2, 0.4, 0.6, 0.8]) };
  equal(+psnr({ ...t, data: t.data.map((v) => v + 0.1) }, t).toFixed(9), 20);
});

Deno.test("ridge: with noise the held-out R² approaches the signal share var(s) / (var(s) + var(noise))", () => {
  const n = 4000;
  const x = randn(n, 3, 5);
  const noise = randn(n, 1, 6);
  const y: Matrix = { rows: n, cols: 1, data: new Float64Array(n) };
  for (let i = 0; i < n; i++) y.data[i] = x.data[i * 3] + x.data[i * 3 + 1] + noise.data[i]; // var(s) = 2, var(e) = 1
  const half = (m: Matrix, second: boolean): Matrix => ({ rows: n / 2, cols: m.cols, data: m.data.slice(second ? (n / 2) * m.cols : 0, second ? n * m.cols : (n / 2) * m.cols) });
  const m = fitRidge(half(x, false), half(y, false));
  const r2 = rSquared(predictRidge(m, half(x, true)), half(y, true));
  ok(Math.abs(r2 - 2 / 3) < 0.03, `R² ${r2}`);
});

Deno.test("mutual information: KSG and Gaussian estimates match the exact MI of correlated Gaussians", () => {
  equal(digammaInt(1), -0.5772156649015329);
  ok(Math.abs(digammaInt(5) - (1 + 1 / 2 + 1 / 3 + 1 / 4 - 0.5772156649015329)) < 1e-15);
  for (const [rho, d, tolKsg] of [[0.9, 1, 0.08], [0.6, 2, 0.08], [0.0, 2, 0.05]] as const) {
    const [x, y] = correlatedPairs(1200, d, rho, 10 + d);
    const exact = -d / 2 * Math.log(1 - rho * rho);
    const ksg = ksgMutualInfo(x, y, 3);
    const gauss = gaussianMutualInfo(x, y);
    ok(Math.abs(ksg - exact) < tolKsg, `KSG ${ksg} vs exact ${exact} (rho ${rho}, d ${d})`);
    // Gaussian estimator: exact up to sampling error plus its upward bias ~ d²/(2n).
    ok(Math.abs(gauss - exact) < 0.05, `Gaussian ${gauss} vs exact ${exact}`);
  }
  // A non-linear, non-monotone dependence (y = x² + small noise): the Gaussian estimate misses it, KSG does not.
  const x = randn(1000, 1, 3);
  const e = randn(1000, 1, 4);
  const y: Matrix = { rows: 1000, cols: 1, data: x.data.map((v, i) => v * v + 0.05 * e.data[i]) };
  ok(ksgMutualInfo(x, y) > 1, `KSG on y = x² ${ksgMutualInfo(x, y)}`);
  ok(gaussianMutualInfo(x, y) < 0.05, `Gaussian on y = x² ${gaussianMutualInfo(x, y)}`);
  throws(() => ksgMutualInfo(x, y, 1000), /expected 1 <= k < n/);
  ok(covariance(x).data[0] > 0.8);
});
