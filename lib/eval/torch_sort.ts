/**
 * Sorting with the reference's tie behaviour.
 *
 * PyTorch's CPU `sort`/`argsort` with `stable=False` (the default, used by utils/general.py
 * `x[:, 4].argsort(descending=True)`) runs libstdc++'s `std::sort` (introsort: median-of-three quicksort, heapsort past
 * depth 2*log2(n), insertion sort for runs of 16) on (value, index) pairs with the comparator
 * `(isnan(a) && !isnan(b)) || a > b` (aten/src/ATen/native/cpu/SortingKernel.cpp). Equal values may therefore
 * come out in any order; {@link torchArgsortDescending} replays that algorithm step by step so that ties land
 * exactly where PyTorch 1.13 on Linux puts them (checked against torch 1.13.1 on ties). {@link stableArgsortDescending}
 * is the stable variant: torchvision 0.14's CPU `nms` sorts its scores stably (measured), and pycocotools uses
 * `np.argsort(-x, kind='mergesort')`.
 * @module
 */

const THRESHOLD = 16;

/** A (key, index) pair array sorted in place by libstdc++'s std::sort with a descending comparator. */
class PairSort {
  constructor(readonly key: Float64Array, readonly idx: Int32Array) {}

  /** comp(a, b): a goes before b. */
  private less(ka: number, kb: number): boolean {
    return (Number.isNaN(ka) && !Number.isNaN(kb)) || ka > kb;
  }
  private lessAt(a: number, b: number): boolean {
    return this.less(this.key[a], this.key[b]);
  }
  private swap(a: number, b: number): void {
    const k = this.key[a], i = this.idx[a];
    this.key[a] = this.key[b];
    this.idx[a] = this.idx[b];
    this.key[b] = k;
    this.idx[b] = i;
  }
  private move(dst: number, src: number): void {
    this.key[dst] = this.key[src];
    this.idx[dst] = this.idx[src];
  }

  sort(): void {
    const n = this.key.length;
    if (n === 0) return;
    this.introsortLoop(0, n, 2 * (31 - Math.clz32(n)));
    this.finalInsertionSort(0, n);
  }

  private introsortLoop(first: number, last: number, depth: number): void {
    while (last - first > THRESHOLD) {
      if (depth === 0) {
        this.heapSort(first, last);
        return;
      }
      depth--;
      const cut = this.partitionPivot(first, last);
      this.introsortLoop(cut, last, depth);
      last = cut;
    }
  }

  private partitionPivot(first: number, last: number): number {
    const mid = first + ((last - first) >> 1);
    this.moveMedianToFirst(first, first + 1, mid, last - 1);
    return this.unguardedPartition(first + 1, last, first);
  }

  private moveMedianToFirst(result: number, a: number, b: number, c: number): void {
    if (this.lessAt(a, b)) {
      if (this.lessAt(b, c)) this.swap(result, b);
      else if (this.lessAt(a, c)) this.swap(result, c);
      else this.swap(result, a);
    } else if (this.lessAt(a, c)) this.swap(result, a);
    else if (this.lessAt(b, c)) this.swap(result, c);
    else this.swap(result, b);
  }

  private unguardedPartition(first: number, last: number, pivot: number): number {
    for (;;) {
      while (this.lessAt(first, pivot)) first++;
      last--;
      while (this.lessAt(pivot, last)) last--;
      if (!(first < last)) return first;
      this.swap(first, last);
      first++;
    }
  }

  private insertionSort(first: number, last: number): void {
    if (first === last) return;
    for (let i = first + 1; i < last; i++) {
      if (this.lessAt(i, first)) {
        const k = this.key[i], v = this.idx[i];
        for (let j = i; j > first; j--) this.move(j, j - 1);
        this.key[first] = k;
        this.idx[first] = v;
      } else this.unguardedLinearInsert(i);
    }
  }

  private unguardedLinearInsert(last: number): void {
    const k = this.key[last], v = this.idx[last];
    let next = last - 1;
    while (this.less(k, this.key[next])) {
      this.move(last, next);
      last = next;
      next--;
    }
    this.key[last] = k;
    this.idx[last] = v;
  }

  private finalInsertionSort(first: number, last: number): void {
    if (last - first > THRESHOLD) {
      this.insertionSort(first, first + THRESHOLD);
      for (let i = first + THRESHOLD; i < last; i++) this.unguardedLinearInsert(i);
    } else this.insertionSort(first, last);
  }

  // --- heap sort (std::__partial_sort(first, last, last) = make_heap + sort_heap) ---
  private heapSort(first: number, last: number): void {
    const len = last - first;
    if (len >= 2) {
      let parent = (len - 2) >> 1;
      for (;;) {
        const k = this.key[first + parent], v = this.idx[first + parent];
        this.adjustHeap(first, parent, len, k, v);
        if (parent === 0) break;
        parent--;
      }
    }
    while (last - first > 1) {
      last--;
      const k = this.key[last], v = this.idx[last];
      this.move(last, first);
      this.adjustHeap(first, 0, last - first, k, v);
    }
  }

  private adjustHeap(first: number, hole: number, len: number, k: number, v: number): void {
    const top = hole;
    let child = hole;
    while (child < ((len - 1) >> 1)) {
      child = 2 * (child + 1);
      if (this.lessAt(first + child, first + child - 1)) child--;
      this.move(first + hole, first + child);
      hole = child;
    }
    if ((len & 1) === 0 && child === ((len - 2) >> 1)) {
      child = 2 * (child + 1);
      this.move(first + hole, first + child - 1);
      hole = child - 1;
    }
    // push_heap
    let parent = (hole - 1) >> 1;
    while (hole > top && this.less(this.key[first + parent], k)) {
      this.move(first + hole, first + parent);
      hole = parent;
      parent = (hole - 1) >> 1;
    }
    this.key[first + hole] = k;
    this.idx[first + hole] = v;
  }
}

/**
 * `torch.argsort(values, descending=True)` on CPU (stable=False): the permutation PyTorch returns,
 * including its placement of equal values (libstdc++ introsort replayed exactly).
 */
export function torchArgsortDescending(values: ArrayLike<number>): Int32Array {
  const key = Float64Array.from(values);
  const idx = new Int32Array(key.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  new PairSort(key, idx).sort();
  return idx;
}

/**
 * Stable descending argsort (ties keep input order; NaN first, as PyTorch's comparator): `np.argsort(-v,
 * kind='mergesort')` and `torch.sort(v, stable=True, descending=True)`.
 */
export function stableArgsortDescending(values: ArrayLike<number>): Int32Array {
  const n = values.length;
  const key = Float64Array.from(values);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // TypedArray sort with a comparator is stable (ES2019)
  return order.sort((a, b) => {
    const ka = key[a], kb = key[b];
    if (ka > kb) return -1;
    if (ka < kb) return 1;
    if (ka === kb) return 0;
    const na = ka !== ka, nb = kb !== kb; // NaN first, as PyTorch's comparator
    return na === nb ? 0 : na ? -1 : 1;
  });
}
