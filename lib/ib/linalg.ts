/**
 * Small dense linear algebra on plain `Float64Array`s (row-major), enough for the information-bottleneck
 * measures: covariance, Cholesky factorisation and solves, log-determinants and the symmetric
 * eigen-decomposition (cyclic Jacobi). Sizes here are tens to a few hundred, so O(d^3) is fine.
 * @module
 */

/** A row-major matrix: `data[i * cols + j]`. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** A zero matrix of the given size. */
export function zeros(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** Per-column means of `x`. */
export function columnMeans(x: Matrix): Float64Array {
  const m = new Float64Array(x.cols);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < x.cols; j++) m[j] += x.data[i * x.cols + j];
  for (let j = 0; j < x.cols; j++) m[j] /= Math.max(x.rows, 1);
  return m;
}

/**
 * Cross-product `aᵀ b` of two matrices with the same number of rows, after subtracting `ma` / `mb`
 * from the columns (pass undefined for no centring). Divide by n - 1 for a covariance.
 */
export function crossProduct(a: Matrix, b: Matrix, ma?: Float64Array, mb?: Float64Array): Matrix {
  if (a.rows !== b.rows) throw new RangeError(`Cannot form aᵀb: a has ${a.rows} rows, b has ${b.rows}`);
  const out = zeros(a.cols, b.cols);
  const ra = new Float64Array(a.cols);
  const rb = new Float64Array(b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) ra[j] = a.data[i * a.cols + j] - (ma ? ma[j] : 0);
    for (let k = 0; k < b.cols; k++) rb[k] = b.data[i * b.cols + k] - (mb ? mb[k] : 0);
    for (let j = 0; j < a.cols; j++) {
      const v = ra[j];
      if (v === 0) continue;
      const row = j * b.cols;
      for (let k = 0; k < b.cols; k++) out.data[row + k] += v * rb[k];
    }
  }
  return out;
}

/** Sample covariance (divisor n - 1) of the columns of `x`. */
export function covariance(x: Matrix): Matrix {
  if (x.rows < 2) throw new RangeError(`Cannot estimate a covariance from ${x.rows} sample(s): expected at least 2`);
  const m = columnMeans(x);
  const c = crossProduct(x, x, m, m);
  for (let i = 0; i < c.data.length; i++) c.data[i] /= x.rows - 1;
  return c;
}

/**
 * Lower-triangular Cholesky factor `L` of a symmetric positive-definite matrix (`a = L Lᵀ`).
 * Throws when a pivot is not positive (the matrix is not positive definite).
 */
export function cholesky(a: Matrix): Matrix {
  const n = a.rows;
  if (a.cols !== n) throw new RangeError(`Cannot factor a ${a.rows}x${a.cols} matrix: expected a square matrix`);
  const l = zeros(n, n);
  for (let j = 0; j < n; j++) {
    let s = a.data[j * n + j];
    for (let k = 0; k < j; k++) s -= l.data[j * n + k] ** 2;
    if (!(s > 0)) throw new RangeError(`Cannot factor: matrix is not positive definite (pivot ${j} is ${s})`);
    const d = Math.sqrt(s);
    l.data[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let t = a.data[i * n + j];
      for (let k = 0; k < j; k++) t -= l.data[i * n + k] * l.data[j * n + k];
      l.data[i * n + j] = t / d;
    }
  }
  return l;
}

/** Solve `a x = b` for every column of `b`, given the Cholesky factor `l` of `a`. */
export function choleskySolve(l: Matrix, b: Matrix): Matrix {
  const n = l.rows;
  if (b.rows !== n) throw new RangeError(`Cannot solve: system has ${n} rows, right-hand side has ${b.rows}`);
  const x = { rows: b.rows, cols: b.cols, data: Float64Array.from(b.data) };
  for (let c = 0; c < b.cols; c++) {
    for (let i = 0; i < n; i++) {
      let s = x.data[i * b.cols + c];
      for (let k = 0; k < i; k++) s -= l.data[i * n + k] * x.data[k * b.cols + c];
      x.data[i * b.cols + c] = s / l.data[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x.data[i * b.cols + c];
      for (let k = i + 1; k < n; k++) s -= l.data[k * n + i] * x.data[k * b.cols + c];
      x.data[i * b.cols + c] = s / l.data[i * n + i];
    }
  }
  return x;
}

/** Natural log-determinant of a symmetric positive-definite matrix (via Cholesky). */
export function logDet(a: Matrix): number {
  const l = cholesky(a);
  let s = 0;
  for (let i = 0; i < a.rows; i++) s += Math.log(l.data[i * a.rows + i]);
  return 2 * s;
}

/** Eigen-decomposition of a symmetric matrix. */
export interface SymEigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** Eigenvectors as columns, in the order of `values`. */
  vectors: Matrix;
}

/** Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations (to ~1e-12 relative). */
export function symEigen(a: Matrix, maxSweeps = 60): SymEigen {
  const n = a.rows;
  if (a.cols !== n) throw new RangeError(`Cannot diagonalise a ${a.rows}x${a.cols} matrix: expected a square matrix`);
  const m = Float64Array.from(a.data);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        total += m[i * n + j] ** 2;
        if (i !== j) off += m[i * n + j] ** 2;
      }
    }
    if (off <= 1e-24 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = [...Array(n).keys()].sort((i, j) => m[j * n + j] - m[i * n + i]);
  const values = Float64Array.from(order, (i) => m[i * n + i]);
  const vectors = zeros(n, n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors.data[k * n + dst] = v[k * n + src];
  });
  return { values, vectors };
}
