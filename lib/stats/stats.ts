/**
 * Statistics of values across seeds: mean and spread, and the best of several. Pure functions on
 * plain numbers (paired comparisons: ./paired.ts).
 * @module
 */

/** Mean, sample standard deviation (0 for one value) and count of the finite values. */
export interface Summary {
  mean: number;
  std: number;
  n: number;
}

/** Summary of `values` (NaN mean when none is finite). */
export function summarize(values: readonly number[]): Summary {
  const v = values.filter(Number.isFinite);
  const n = v.length;
  if (!n) return { mean: NaN, std: NaN, n: 0 };
  const mean = v.reduce((s, x) => s + x, 0) / n;
  const std = n > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** The id with the highest value (first on ties); undefined when none is finite. */
export function best(items: readonly { id: string; value: number }[]): string | undefined {
  let top: { id: string; value: number } | undefined;
  for (const it of items) if (Number.isFinite(it.value) && (!top || it.value > top.value)) top = it;
  return top?.id;
}
