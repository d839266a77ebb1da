/**
 * Intervals over a crossed design: values measured for every (seed, image) pair, where both the seeds
 * (random initialisations or trainings) and the images are samples. The crossed (two-way) bootstrap
 * resamples the seeds and the images independently, with replacement, and recomputes the statistic on
 * the selected cells; the 2.5 % and 97.5 % percentiles of the replicates form the 95 % interval. It
 * keeps both sources of variation (a plain bootstrap over all cells would treat the cells of one seed
 * as independent and give intervals that are too narrow). Statistics of several groups measured on
 * the same seeds and images (families, models) use the same resamples, so that a difference between
 * two groups is paired. Pure and seeded (no Math.random).
 * @module
 */
import { createRng, rngInt } from "../data/rng.ts";

/** One resample: the seed indices and the image indices drawn (with replacement). */
export interface Resample {
  seeds: number[];
  images: number[];
}

/** Options of {@link crossedResamples}. */
export interface BootstrapOptions {
  /** Number of replicates (default 2000). */
  replicates?: number;
  /** Seed of the resampling (default 0). */
  seed?: number;
}

/** `replicates` resamples of `nSeeds` seeds and `nImages` images (independent draws with replacement). */
export function crossedResamples(nSeeds: number, nImages: number, opts: BootstrapOptions = {}): Resample[] {
  if (!(nSeeds >= 1 && nImages >= 1)) throw new RangeError(`Cannot resample: expected >= 1 seed and image, got ${nSeeds} x ${nImages}`);
  const rng = createRng(opts.seed ?? 0);
  const draw = (n: number) => Array.from({ length: n }, () => rngInt(rng, 0, n - 1));
  return Array.from({ length: opts.replicates ?? 2000 }, () => ({ seeds: draw(nSeeds), images: draw(nImages) }));
}

/** Mean of the finite cells `table[seed][image]` selected by `r` (all cells when `r` is omitted); NaN when none. */
export function cellMean(table: readonly (readonly number[])[], r?: Resample): number {
  const seeds = r?.seeds ?? table.map((_, i) => i);
  let s = 0, n = 0;
  for (const i of seeds) {
    const row = table[i];
    for (const j of r?.images ?? row.map((_, k) => k)) {
      if (Number.isFinite(row[j])) {
        s += row[j];
        n++;
      }
    }
  }
  return n ? s / n : NaN;
}

/**
 * The `q` quantile (0..1) of `values` by linear interpolation between order statistics; infinite values
 * take part (so a quantile can be ±Infinity), NaN values are dropped. NaN when nothing is left.
 */
export function quantile(values: readonly number[], q: number): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const pos = q * (v.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  if (lo === hi || v[lo] === v[hi]) return v[lo];
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

/** A point estimate with its 95 % percentile interval. */
export interface Interval {
  value: number;
  lo: number;
  hi: number;
}

/** The 95 % percentile interval of bootstrap `replicates` around `value`. */
export function percentileInterval(value: number, replicates: readonly number[]): Interval {
  return { value, lo: quantile(replicates, 0.025), hi: quantile(replicates, 0.975) };
}

/** Mean of a seeds x images table with its crossed-bootstrap 95 % interval. */
export function crossedMeanInterval(table: readonly (readonly number[])[], resamples: readonly Resample[]): Interval {
  return percentileInterval(cellMean(table), resamples.map((r) => cellMean(table, r)));
}
