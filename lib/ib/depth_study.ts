/**
 * Verdicts of the information-bottleneck study that read only informative measures (paper Sec. 3,
 * Sec. 5.5 / Fig. 6: "GELAN ≥ CSPNet > ResNet > PlainNet" in what deep layers keep). For each family
 * and measure, the information depth ({@link informationDepth}) at two thresholds; the families
 * ordered by it, with every pair compared on the same bootstrap resamples; and, at the figure's
 * depths, which families are at the floor (where all are, no order is drawn).
 *
 * Measures, each on a scale where the two thresholds mean the same thing:
 * - `r2`: held-out reversibility R²; thresholds 0.5 and 0.1 (half / a tenth of the pixel variance recoverable).
 * - `psnr`: PSNR gain in dB over the uninformative reconstruction (the held-out mean colour); on one
 *   image a gain g is R² = 1 - 10^(-g/10), so the thresholds 3.01 dB and 0.46 dB are R² 0.5 and 0.1.
 *   It is the same decoder as `r2`; only the averaging over images differs (in dB).
 * - `mi`: KSG estimate of I(patch; features) as a fraction of the same estimate at the stem (the first
 *   conv, identical in every family for a seed); thresholds 0.5 and 0.1.
 * @module
 */
import { crossedResamples } from "../stats/bootstrap.ts";
import { compareDepths, type DepthComparison, type DepthCurves, informationDepth, type InformationDepth, levelAt } from "./information_depth.ts";

/** The measures read for information depth. */
export type DepthMeasure = "r2" | "psnr" | "mi";

/** A measure's scale and thresholds (upper, lower; the lower one is the floor). */
export interface DepthMeasureSpec {
  key: DepthMeasure;
  title: string;
  unit: string;
  thresholds: [number, number];
}

/** The three measures (see the module notes). */
export const DEPTH_MEASURES: readonly DepthMeasureSpec[] = [
  { key: "r2", title: "held-out reversibility R²", unit: "R²", thresholds: [0.5, 0.1] },
  { key: "psnr", title: "PSNR gain over the uninformative reconstruction", unit: "dB", thresholds: [10 * Math.log10(2), 10 * Math.log10(1 / 0.9)] },
  { key: "mi", title: "KSG mutual information / the stem's", unit: "fraction", thresholds: [0.5, 0.1] },
];

/** One family's measures on the depth grid: `[seed][image][k]` at `layers[k]`. */
export interface IbCurve {
  family: string;
  name: string;
  layers: number[];
  /** Shortest gradient path (conv layers) from each grid tap back to the image. */
  shortest: number[];
  r2: number[][][];
  psnr: number[][][];
  mi: number[][][];
}

/** A family's information depths for one measure (one per threshold). */
export interface FamilyDepth {
  family: string;
  name: string;
  measure: DepthMeasure;
  depths: InformationDepth[];
}

/** A pair of the paper's order and how our depths compare. */
export interface PairVerdict extends DepthComparison {
  higher: string;
  lower: string;
  /** The paper's pair holds (GELAN vs CSPNet: a tie counts), is contradicted, or is not separated. */
  outcome: "agrees" | "against" | "not separated";
}

/** The families ordered by information depth at one threshold of one measure. */
export interface DepthOrdering {
  measure: DepthMeasure;
  threshold: number;
  /** E.g. "GELAN > CSPNet ≈ ResNet > PlainNet" (deepest first; ≈: neighbours not separated). */
  order: string;
  pairs: PairVerdict[];
  holds: "yes" | "no" | "partly" | "no order";
  line: string;
}

/** Which families are at the floor at one depth. */
export interface FloorCheck {
  measure: DepthMeasure;
  depth: number;
  levels: { name: string; layers: number; value: number; lo: number; hi: number; atFloor: boolean }[];
  allAtFloor: boolean;
  line: string;
}

/** Everything {@link depthStudy} concludes. */
export interface DepthStudy {
  replicates: number;
  information_depth: FamilyDepth[];
  orderings: DepthOrdering[];
  floors: FloorCheck[];
}

/** Paper ranks (higher keeps more information); GELAN vs CSPNet is "≥". */
const PAPER_RANK: Record<string, number> = { GELAN: 4, CSPNet: 3, ResNet: 2, PlainNet: 1 };

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1));

const censoredValue = (v: number, c: "below" | "above" | null) => (c === "below" ? `≤ ${fmt(v)}` : c === "above" ? `> ${fmt(v)}` : fmt(v));

/** "23.4 [19.0, 27.9]", with "≤ 1" / "> 100" for values before / beyond the grid. */
export function formatDepth(d: InformationDepth): string {
  return `${censoredValue(d.depth, d.censored)} [${censoredValue(d.lo, d.loCensored)}, ${censoredValue(d.hi, d.hiCensored)}]`;
}

function curvesOf(c: IbCurve, m: DepthMeasure): DepthCurves {
  return { layers: c.layers, values: c[m] };
}

/** Information depths, orderings and floor checks of `curves` (all on the same seeds and images). */
export function depthStudy(curves: IbCurve[], figureDepths: number[], opts: { replicates?: number; seed?: number } = {}): DepthStudy {
  if (!curves.length) return { replicates: 0, information_depth: [], orderings: [], floors: [] };
  const [nSeeds, nImages] = [curves[0].r2.length, curves[0].r2[0]?.length ?? 0];
  const resamples = crossedResamples(nSeeds, nImages, opts);
  const out: DepthStudy = { replicates: resamples.length, information_depth: [], orderings: [], floors: [] };
  for (const m of DEPTH_MEASURES) {
    const per = curves.map((c) => m.thresholds.map((t) => informationDepth(curvesOf(c, m.key), t, resamples)));
    curves.forEach((c, i) => out.information_depth.push({ family: c.family, name: c.name, measure: m.key, depths: per[i].map((p) => p.depth) }));
    m.thresholds.forEach((t, ti) => out.orderings.push(ordering(curves.map((c, i) => ({ name: c.name, ...per[i][ti] })), m.key, t)));
    for (const depth of figureDepths) {
      const levels = curves.map((c) => ({ name: c.name, ...levelAt(curvesOf(c, m.key), depth, m.thresholds[1], resamples) }));
      const allAtFloor = levels.every((l) => l.atFloor);
      const vals = levels.map((l) => `${l.name} (${l.layers}) ${l.value.toFixed(2)} [${l.lo.toFixed(2)}, ${l.hi.toFixed(2)}]${l.atFloor ? " (floor)" : ""}`).join(", ");
      out.floors.push({
        measure: m.key, depth, levels, allAtFloor,
        line: allAtFloor
          ? `at depth ${depth} every family is at the floor (${m.unit} interval below ${m.thresholds[1].toFixed(2)}): no order drawn (${vals})`
          : `at depth ${depth}: ${vals}`,
      });
    }
  }
  return out;
}

type Entry = { name: string; depth: InformationDepth; replicates: number[] };

function ordering(entries: Entry[], measure: DepthMeasure, threshold: number): DepthOrdering {
  const key = (e: Entry) => (e.depth.censored === "above" ? Infinity : e.depth.censored === "below" ? -Infinity : e.depth.depth);
  const sorted = [...entries].sort((a, b) => key(b) - key(a));
  const order = sorted.map((e, i) => (i ? `${compareDepths(sorted[i - 1], e).verdict === "deeper" ? " > " : " ≈ "}` : "") + e.name).join("");
  const ranked = entries.filter((e) => PAPER_RANK[e.name]).sort((a, b) => PAPER_RANK[b.name] - PAPER_RANK[a.name]);
  const pairs: PairVerdict[] = [];
  for (let i = 0; i < ranked.length; i++) {
    for (let j = i + 1; j < ranked.length; j++) {
      const c = compareDepths(ranked[i], ranked[j]);
      const weak = ranked[i].name === "GELAN" && ranked[j].name === "CSPNet";
      const outcome = c.verdict === "deeper" || (weak && c.verdict === "tie") ? "agrees" : c.verdict === "shallower" ? "against" : "not separated";
      pairs.push({ ...c, higher: ranked[i].name, lower: ranked[j].name, outcome });
    }
  }
  const t = threshold.toFixed(2);
  const depths = sorted.map((e) => `${e.name} ${formatDepth(e.depth)}`).join(", ");
  const side = entries[0]?.depth.censored;
  if (side && entries.every((e) => e.depth.censored === side)) {
    const why = side === "below"
      ? `every family is below ${t} already at the first grid depth (all at the floor)`
      : `no family falls below ${t} within the grid`;
    return { measure, threshold, order, pairs, holds: "no order", line: `${measure} < ${t}: ${why}; no order drawn (${depths})` };
  }
  const against = pairs.filter((p) => p.outcome === "against");
  const agree = pairs.filter((p) => p.outcome === "agrees");
  const holds = !pairs.length ? "no order" : against.length ? "no" : agree.length === pairs.length ? "yes" : "partly";
  const detail = against.length ? `; against: ${against.map((p) => `${p.lower} deeper than ${p.higher}`).join(", ")}` : "";
  return {
    measure, threshold, order, pairs, holds,
    line: `${measure} < ${t}: ${order} (depth [95% interval]: ${depths}); paper order holds: ${holds} (${agree.length} of ${pairs.length} pairs agree${detail})`,
  };
}
