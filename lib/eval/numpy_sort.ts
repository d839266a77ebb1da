/**
 * NumPy's default `argsort` (kind 'quicksort') replayed step by step, so that equal values come out in the
 * order NumPy 1.24 gives them (utils/metrics.py sorts confidences and IoUs with it; its tie order is part of
 * the reference's results).
 * @module
 */

/** NumPy's FLOAT_LT: a < b, NaN sorted last. */
function npLess(a: number, b: number): boolean {
  return a < b || (b !== b && a === a);
}

function npHeapsort(v: ArrayLike<number>, idx: Int32Array, lo: number, n: number): void {
  // numpy/core/src/npysort/heapsort.cpp aheapsort on idx[lo .. lo+n-1], 1-based heap indexing
  const a = (k: number) => lo + k - 1;
  // Sift the entry `tmp` down from heap position `i` within a heap of `size` entries.
  const sift = (tmp: number, i: number, size: number) => {
    for (let j = i << 1; j <= size;) {
      if (j < size && npLess(v[idx[a(j)]], v[idx[a(j + 1)]])) j += 1;
      if (npLess(v[tmp], v[idx[a(j)]])) {
        idx[a(i)] = idx[a(j)];
        i = j;
        j += j;
      } else break;
    }
    idx[a(i)] = tmp;
  };
  for (let l = n >> 1; l > 0; --l) sift(idx[a(l)], l, n);
  for (; n > 1;) {
    const tmp = idx[a(n)];
    idx[a(n)] = idx[a(1)];
    n -= 1;
    sift(tmp, 1, n);
  }
}

/**
 * `np.argsort(values)` with the default kind 'quicksort' (NumPy 1.24 generic introsort, npysort/quicksort.cpp
 * aquicksort: median of three, partitions above 16 elements, insertion sort, heapsort past depth 2*log2(n)),
 * replayed exactly so that equal values come out where NumPy puts them.
 */
export function numpyArgsort(values: ArrayLike<number>): Int32Array {
  const v = values;
  const num = v.length;
  const idx = new Int32Array(num);
  for (let i = 0; i < num; i++) idx[i] = i;
  if (num < 2) return idx;
  const swap = (x: number, y: number) => {
    const t = idx[x];
    idx[x] = idx[y];
    idx[y] = t;
  };
  let pl = 0, pr = num - 1;
  const stack: number[] = [], depths: number[] = [];
  let cdepth = 2 * (31 - Math.clz32(num));
  for (;;) {
    if (cdepth < 0) {
      npHeapsort(v, idx, pl, pr - pl + 1);
    } else {
      while (pr - pl > 15) {
        const pm = pl + ((pr - pl) >> 1);
        if (npLess(v[idx[pm]], v[idx[pl]])) swap(pm, pl);
        if (npLess(v[idx[pr]], v[idx[pm]])) swap(pr, pm);
        if (npLess(v[idx[pm]], v[idx[pl]])) swap(pm, pl);
        const vp = v[idx[pm]];
        let pi = pl, pj = pr - 1;
        swap(pm, pj);
        for (;;) {
          do ++pi; while (npLess(v[idx[pi]], vp));
          do --pj; while (npLess(vp, v[idx[pj]]));
          if (pi >= pj) break;
          swap(pi, pj);
        }
        swap(pi, pr - 1);
        if (pi - pl < pr - pi) {
          stack.push(pi + 1, pr);
          pr = pi - 1;
        } else {
          stack.push(pl, pi - 1);
          pl = pi + 1;
        }
        depths.push(--cdepth);
      }
      for (let pi = pl + 1; pi <= pr; ++pi) {
        const vi = idx[pi], vp = v[vi];
        let pj = pi, pk = pi - 1;
        while (pj > pl && npLess(vp, v[idx[pk]])) idx[pj--] = idx[pk--];
        idx[pj] = vi;
      }
    }
    if (stack.length === 0) break;
    pr = stack.pop()!;
    pl = stack.pop()!;
    cdepth = depths.pop()!;
  }
  return idx;
}
