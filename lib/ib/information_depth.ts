/**
 * Information depth (paper Sec. 3 / Fig. 6 made quantitative): the depth, in conv layers, at which a
 * family's measure of retained information first falls below a threshold. The curve is the mean over
 * seeds and images of the measure on a depth grid, the crossing is interpolated linearly between the
 * two grid depths around it, and its 95 % interval comes from the crossed bootstrap over seeds and
 * images (lib/ablate/bootstrap.ts: the crossing of each resampled mean curve). A crossing outside the
 * grid is censored: "below" when the curve starts under the threshold (depth <= the first grid depth),
 * "above" when it never falls below it (depth > the last grid depth).
 *
 * The floor: a family is at the floor at a depth when the 95 % interval of its mean measure there
 * lies entirely below the lower threshold; where every family is at the floor, no order is drawn.
 * Pure functions on plain numbers.
 * @module
 */
import { cellMean, percentileInterval, type Interval, type Resample } from "../stats/bootstrap.ts";

/** Where a curve falls below a threshold. */
export interface Crossing {
  /** Interpolated depth (the first / last grid depth when censored). */
  depth: number;
  /** "below": under the threshold already at the first grid depth; "above": never falls below it. */
  censored: "below" | "above" | null;
}

/**
 * First depth at which the piecewise-linear curve (`layers` ascending, `values` at them) is below
 * `threshold`: between grid depths l0 < l1 with v0 >= t > v1 it is l0 + (v0 - t) / (v0 - v1) (l1 - l0).
 * NaN values are skipped.
 */
export function crossingDepth(layers: readonly number[], values: readonly number[], threshold: number): Crossing {
  if (layers.length !== values.length) throw new RangeError(`Cannot locate a crossing: ${layers.length} depths for ${values.length} values`);
  const pts = layers.map((l, i) => [l, values[i]]).filter(([, v]) => !Number.isNaN(v));
  if (!pts.length) return { depth: NaN, censored: null };
  for (let i = 1; i < pts.length; i++) if (!(pts[i][0] > pts[i - 1][0])) throw new RangeError(`Depths must increase, got ${layers.join(", ")}`);
  if (pts[0][1] < threshold) return { depth: pts[0][0], censored: "below" };
  for (let i = 1; i < pts.length; i++) {
    const [l0, v0] = pts[i - 1], [l1, v1] = pts[i];
    if (v1 < threshold) return { depth: l0 + ((v0 - threshold) / (v0 - v1)) * (l1 - l0), censored: null };
  }
  return { depth: pts[pts.length - 1][0], censored: "above" };
}

/** Measure values of one family: `values[seed][image][k]` at `layers[k]` (ascending). */
export interface DepthCurves {
  layers: number[];
  values: number[][][];
}

/** The mean curve over the (resampled) seeds and images. */
export function meanCurve(c: DepthCurves, r?: Resample): number[] {
  return c.layers.map((_, k) => cellMean(c.values.map((row) => row.map((v) => v[k])), r));
}

/** A crossing as one number for the bootstrap: -Infinity / +Infinity when censored below / above. */
function crossingValue(x: Crossing): number {
  return x.censored === "below" ? -Infinity : x.censored === "above" ? Infinity : x.depth;
}

/** Information depth at one threshold, with its interval (bounds clamped to the grid, open ends flagged). */
export interface InformationDepth {
  threshold: number;
  /** Crossing of the mean curve. */
  depth: number;
  censored: "below" | "above" | null;
  /** 95 % interval, clamped to the grid; `loCensored` / `hiCensored`: the bound lies before the first ("below") or beyond the last ("above") grid depth. */
  lo: number;
  hi: number;
  loCensored: "below" | "above" | null;
  hiCensored: "below" | "above" | null;
}

/** Information depth of `c` at `threshold` and the bootstrap replicates (for paired comparisons). */
export function informationDepth(
  c: DepthCurves,
  threshold: number,
  resamples: readonly Resample[],
): { depth: InformationDepth; replicates: number[] } {
  const x = crossingDepth(c.layers, meanCurve(c), threshold);
  const replicates = resamples.map((r) => crossingValue(crossingDepth(c.layers, meanCurve(c, r), threshold)));
  const iv = percentileInterval(x.depth, replicates);
  const [first, last] = [c.layers[0], c.layers[c.layers.length - 1]];
  const clamp = (v: number) => Math.min(Math.max(v, first), last);
  const side = (v: number) => (v < first ? "below" : v > last ? "above" : null);
  return {
    depth: { threshold, depth: x.depth, censored: x.censored, lo: clamp(iv.lo), hi: clamp(iv.hi), loCensored: side(iv.lo), hiCensored: side(iv.hi) },
    replicates,
  };
}

/** How two information depths compare (paired: same resamples). */
export interface DepthComparison {
  /** depth(a) - depth(b) with its 95 % interval (censored depths count at the grid's end). */
  diff: Interval;
  /** "deeper": a keeps information longer (interval above 0); "shallower": below 0; "tie": it contains 0. */
  verdict: "deeper" | "shallower" | "tie";
}

/** Compare the replicates of two families (a replicate where both are censored on the same side counts as 0). */
export function compareDepths(a: { depth: InformationDepth; replicates: number[] }, b: { depth: InformationDepth; replicates: number[] }): DepthComparison {
  if (a.replicates.length !== b.replicates.length) throw new RangeError(`Cannot pair ${a.replicates.length} with ${b.replicates.length} replicates`);
  const d = a.replicates.map((x, i) => {
    const v = x - b.replicates[i];
    return Number.isNaN(v) ? 0 : v;
  });
  const diff = percentileInterval(a.depth.depth - b.depth.depth, d);
  return { diff, verdict: diff.lo > 0 ? "deeper" : diff.hi < 0 ? "shallower" : "tie" };
}

/** Index of the grid depth nearest to `depth` (ties to the deeper one), as the figure's taps snap. */
export function nearestIndex(layers: readonly number[], depth: number): number {
  let best = 0;
  layers.forEach((l, i) => {
    if (Math.abs(l - depth) <= Math.abs(layers[best] - depth)) best = i;
  });
  return best;
}

/**
 * The mean measure at the grid depth nearest to `depth` with its interval, and whether it is at the
 * floor (the whole interval below `floor`).
 */
export function levelAt(c: DepthCurves, depth: number, floor: number, resamples: readonly Resample[]): Interval & { layers: number; atFloor: boolean } {
  const k = nearestIndex(c.layers, depth);
  const at = (r?: Resample) => cellMean(c.values.map((row) => row.map((v) => v[k])), r);
  const iv = percentileInterval(at(), resamples.map((r) => at(r)));
  return { ...iv, layers: c.layers[k], atFloor: iv.hi < floor };
}
