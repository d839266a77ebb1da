/**
 * Numeric helpers that reproduce NumPy's float64 results bit for bit where the evaluation code depends on
 * them (pycocotools and utils/metrics.py are written against NumPy): `linspace`, pairwise summation
 * (`np.sum`/`np.mean`), `np.interp`, `np.trapz`, `np.searchsorted` and `np.round` (half to even).
 * @module
 */

/** `np.linspace(start, stop, num)` (endpoint=True): `i * step + start`, the last value set to `stop`. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  if (!Number.isInteger(num) || num < 0) throw new RangeError(`linspace: expected a count >= 0, got ${num}`);
  const out = new Float64Array(num);
  const div = num - 1;
  const step = (stop - start) / div;
  for (let i = 0; i < num; i++) out[i] = div > 0 ? i * step + start : start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

function pairwise(a: ArrayLike<number>, lo: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[lo + i];
    return res;
  }
  if (n <= 128) {
    let r0 = a[lo], r1 = a[lo + 1], r2 = a[lo + 2], r3 = a[lo + 3];
    let r4 = a[lo + 4], r5 = a[lo + 5], r6 = a[lo + 6], r7 = a[lo + 7];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      r0 += a[lo + i];
      r1 += a[lo + i + 1];
      r2 += a[lo + i + 2];
      r3 += a[lo + i + 3];
      r4 += a[lo + i + 4];
      r5 += a[lo + i + 5];
      r6 += a[lo + i + 6];
      r7 += a[lo + i + 7];
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[lo + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(a, lo, n2) + pairwise(a, lo + n2, n - n2);
}

/** Sum of a contiguous float64 vector in NumPy's pairwise order (`np.add.reduce`, 8 accumulators, blocks of 128). */
export function pairwiseSum(a: ArrayLike<number>): number {
  return 0 + pairwise(a, 0, a.length);
}

/** `np.mean` of a contiguous float64 vector (pairwise sum / n); NaN for an empty vector as NumPy. */
export function npMean(a: ArrayLike<number>): number {
  return pairwiseSum(a) / a.length;
}

function searchWithGuess(key: number, arr: ArrayLike<number>, len: number, guess: number): number {
  // numpy/core/src/multiarray/compiled_base.c binary_search_with_guess (same answer for unsorted xp)
  let imin = 0, imax = len;
  if (key > arr[len - 1]) return len;
  if (key < arr[0]) return -1;
  if (len <= 4) {
    let i = 1;
    for (; i < len && key >= arr[i]; ++i);
    return i - 1;
  }
  if (guess > len - 3) guess = len - 3;
  if (guess < 1) guess = 1;
  if (key < arr[guess]) {
    if (key < arr[guess - 1]) {
      imax = guess - 1;
      if (guess > 8 && key >= arr[guess - 8]) imin = guess - 8;
    } else return guess - 1;
  } else {
    if (key < arr[guess + 1]) return guess;
    if (key < arr[guess + 2]) return guess + 1;
    imin = guess + 2;
    if (guess < len - 8 - 1 && key < arr[guess + 8]) imax = guess + 8;
  }
  while (imin < imax) {
    const imid = imin + ((imax - imin) >> 1);
    if (key >= arr[imid]) imin = imid + 1;
    else imax = imid;
  }
  return imin - 1;
}

/**
 * `np.interp(x, xp, fp, left, right)` step for step (NumPy's guessed binary search, exact-hit and NaN
 * fallbacks), so results match even for non-increasing `xp`.
 */
export function interp(
  x: ArrayLike<number>,
  xp: ArrayLike<number>,
  fp: ArrayLike<number>,
  left?: number,
  right?: number,
): Float64Array {
  const n = xp.length;
  if (n === 0 || fp.length !== n) {
    throw new RangeError(`interp: expected xp and fp of equal non-zero length, got ${n} and ${fp.length}`);
  }
  const lval = left ?? fp[0];
  const rval = right ?? fp[n - 1];
  const out = new Float64Array(x.length);
  if (n === 1) {
    for (let i = 0; i < x.length; i++) {
      const xv = x[i];
      out[i] = xv < xp[0] ? lval : xv > xp[0] ? rval : fp[0];
    }
    return out;
  }
  let j = 0;
  for (let i = 0; i < x.length; i++) {
    const xv = x[i];
    if (Number.isNaN(xv)) {
      out[i] = xv;
      continue;
    }
    j = searchWithGuess(xv, xp, n, j);
    if (j === -1) out[i] = lval;
    else if (j === n) out[i] = rval;
    else if (j === n - 1) out[i] = fp[j];
    else if (xp[j] === xv) out[i] = fp[j];
    else {
      const slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
      let v = slope * (xv - xp[j]) + fp[j];
      if (Number.isNaN(v)) {
        v = slope * (xv - xp[j + 1]) + fp[j + 1];
        if (Number.isNaN(v) && fp[j] === fp[j + 1]) v = fp[j];
      }
      out[i] = v;
    }
  }
  return out;
}

/** `np.trapz(y, x)`: pairwise sum of `diff(x) * (y[1:] + y[:-1]) / 2`. */
export function trapz(y: ArrayLike<number>, x: ArrayLike<number>): number {
  if (y.length !== x.length) throw new RangeError(`trapz: y has ${y.length} values, x has ${x.length}`);
  const n = Math.max(0, y.length - 1);
  const terms = new Float64Array(n);
  for (let i = 0; i < n; i++) terms[i] = (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0;
  return pairwiseSum(terms);
}

/** `np.searchsorted(a, v, side='left')`: the first index `i` with `a[i] >= v` (a sorted ascending). */
export function searchsortedLeft(a: ArrayLike<number>, v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `np.round(x)` to an integer: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Python's `'{:.{d}f}'.format(x)`: correctly rounded, exact ties to even (JS `toFixed` rounds ties up).
 * Used to print the pycocotools summary lines identically.
 */
export function formatFixed(x: number, digits: number): string {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return String(x);
  const exact = Math.abs(x).toFixed(100); // exact decimal expansion for |x| >= 2^-47
  const dot = exact.indexOf(".");
  const keep = exact.slice(0, dot + 1 + digits);
  const rest = exact.slice(dot + 1 + digits);
  const tie = rest[0] === "5" && /^50*$/.test(rest);
  let out = Math.abs(x).toFixed(digits);
  if (tie) {
    // toFixed rounded up; Python rounds to the even last digit, which may be the truncated value.
    const last = Number(keep[keep.length - 1]);
    if (last % 2 === 0) out = keep.endsWith(".") ? keep.slice(0, -1) : keep;
  }
  const negative = x < 0 || Object.is(x, -0);
  return negative ? "-" + out : out;
}
