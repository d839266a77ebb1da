/**
 * Paired comparisons of two variants trained with the same seeds: with the same seed every variant of
 * a table sees the same data order and augmentation draws, so the seed-to-seed variation is shared and
 * the per-seed difference is the quantity to judge. The mean paired difference gets a Student-t 95 %
 * interval; a pair the paper orders "holds" or is "reversed" when the interval excludes 0, and is a
 * "tie" otherwise. Pure functions on plain numbers.
 * @module
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error < 1e-13). */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61503916999185, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1, d = 1 - (a + b) * x / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    for (const num of [m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)), -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))]) {
      d = 1 + num * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? front * betaFraction(a, b, x) / a : 1 - front * betaFraction(b, a, 1 - x) / b;
}

/** P(T <= t) for Student's t with `df` degrees of freedom. */
export function tCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * The `p` quantile of Student's t with `df` degrees of freedom (bisection on the CDF).
 * @example
 * ```ts
 * import { tQuantile } from "./paired.ts";
 * tQuantile(0.975, 2); // 4.303
 * ```
 */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) throw new RangeError(`tQuantile: expected 0 < p < 1 and df > 0, got p ${p}, df ${df}`);
  if (p < 0.5) return -tQuantile(1 - p, df);
  let lo = 0, hi = 1;
  while (tCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The mean paired difference a - b over the seeds both have, with its t interval. */
export interface PairedDifference {
  /** Seeds with a finite value in both. */
  seeds: number[];
  diffs: number[];
  n: number;
  mean: number;
  /** Interval bounds (NaN with fewer than 2 seeds). */
  lo: number;
  hi: number;
  level: number;
}

/** Paired difference of `a` and `b` (values by seed) with a `level` (default 0.95) t interval. */
export function pairedDifference(
  a: ReadonlyMap<number, number>,
  b: ReadonlyMap<number, number>,
  level = 0.95,
): PairedDifference {
  const seeds = [...a.keys()].filter((s) => Number.isFinite(a.get(s)) && Number.isFinite(b.get(s))).sort((x, y) => x - y);
  const diffs = seeds.map((s) => a.get(s)! - b.get(s)!);
  const n = diffs.length;
  const mean = n ? diffs.reduce((s, x) => s + x, 0) / n : NaN;
  if (n < 2) return { seeds, diffs, n, mean, lo: NaN, hi: NaN, level };
  const sd = Math.sqrt(diffs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const half = tQuantile(1 - (1 - level) / 2, n - 1) * sd / Math.sqrt(n);
  return { seeds, diffs, n, mean, lo: mean - half, hi: mean + half, level };
}

/** What our runs say of one pair the paper orders. */
export type PairOutcome = "holds" | "reversed" | "tie" | "untested";

/** One pair the paper orders: `better` has the paper's higher value; `diff` is ours, better - worse. */
export interface PairVerdict {
  better: string;
  worse: string;
  /** The paper's better - worse (> 0). */
  paperDiff: number;
  diff: PairedDifference;
  outcome: PairOutcome;
}

/** Outcome of a paired difference oriented as the paper orders the pair. */
export function pairOutcome(d: PairedDifference): PairOutcome {
  if (d.n < 2) return "untested";
  if (d.lo > 0) return "holds";
  if (d.hi < 0) return "reversed";
  return "tie";
}

/** Every pair of `items` whose paper values differ, judged by the paired difference of our values. */
export function pairVerdicts(
  items: readonly { id: string; paper: number | undefined; values: ReadonlyMap<number, number> }[],
  level = 0.95,
): PairVerdict[] {
  const out: PairVerdict[] = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const [x, y] = [items[i], items[j]];
      if (x.paper === undefined || y.paper === undefined) continue;
      const paperDiff = Math.round((x.paper - y.paper) * 100) / 100;
      if (paperDiff === 0) continue; // the paper does not order a tie
      const [hi, lo] = paperDiff > 0 ? [x, y] : [y, x];
      const diff = pairedDifference(hi.values, lo.values, level);
      out.push({ better: hi.id, worse: lo.id, paperDiff: Math.abs(paperDiff), diff, outcome: pairOutcome(diff) });
    }
  }
  return out;
}

/** A table's verdict: counts of the outcomes of its ordered pairs and the seeds behind them. */
export interface TableVerdict {
  holds: number;
  reversed: number;
  ties: number;
  untested: number;
  pairs: number;
  /** Fewest paired seeds of a judged pair (0 when none). */
  seeds: number;
  /** "holds" when every judged pair holds, "reversed" when every one is reversed, "mixed", "tie", "untested". */
  summary: "holds" | "reversed" | "mixed" | "tie" | "untested";
  line: string;
}

/** Count the outcomes of `pairs` into one verdict line. */
export function tableVerdict(pairs: readonly PairVerdict[]): TableVerdict {
  const n = (o: PairOutcome) => pairs.filter((p) => p.outcome === o).length;
  const [holds, reversed, ties, untested] = [n("holds"), n("reversed"), n("tie"), n("untested")];
  const judged = pairs.filter((p) => p.outcome !== "untested");
  const seeds = judged.length ? Math.min(...judged.map((p) => p.diff.n)) : 0;
  const summary = !judged.length
    ? "untested"
    : holds === judged.length
    ? "holds"
    : reversed === judged.length
    ? "reversed"
    : holds || reversed
    ? "mixed"
    : "tie";
  const parts = [`${holds} hold`, `${reversed} reversed`, `${ties} tie${ties === 1 ? "" : "s"}`];
  if (untested) parts.push(`${untested} untested (fewer than 2 paired seeds)`);
  const seedText = judged.length ? `${seeds}${Math.max(...judged.map((p) => p.diff.n)) > seeds ? "+" : ""} paired seeds` : "no paired seeds";
  return {
    holds,
    reversed,
    ties,
    untested,
    pairs: pairs.length,
    seeds,
    summary,
    line: `${parts.join(", ")} of ${pairs.length} pair${pairs.length === 1 ? "" : "s"} the paper orders; ${seedText}, 95 % t interval of the mean paired difference`,
  };
}
