/**
 * Statistics of an ablation across seeds: mean and spread per variant, pairwise comparison with the
 * tie rule of the issue (a difference smaller than the spread is a tie), and whether the paper's
 * ordering of the variants of a group holds in our numbers. Pure functions on plain numbers.
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

/** How two summaries compare. */
export type Verdict = "higher" | "lower" | "tie" | "unknown";

/** Comparison of `a` against `b`. */
export interface Comparison {
  /** a.mean - b.mean. */
  diff: number;
  /** The spread a difference is judged against: the larger of the two seed standard deviations. */
  spread: number;
  verdict: Verdict;
  /** |diff| > 2 x spread (a clear difference); false for ties and single seeds. */
  clear: boolean;
}

/**
 * Compare two variants: a tie when |diff| <= spread (the larger seed std); "unknown" when either has
 * no finite value. With one seed each there is no spread, so any nonzero difference counts as a
 * (never clear) difference.
 */
export function compare(a: Summary, b: Summary): Comparison {
  if (!a.n || !b.n) return { diff: NaN, spread: NaN, verdict: "unknown", clear: false };
  const diff = a.mean - b.mean;
  const spread = Math.max(a.std, b.std);
  const single = a.n < 2 || b.n < 2;
  if (Math.abs(diff) <= spread || diff === 0) return { diff, spread, verdict: "tie", clear: false };
  return {
    diff,
    spread,
    verdict: diff > 0 ? "higher" : "lower",
    clear: !single && Math.abs(diff) > 2 * spread,
  };
}

/** One pair of a group: the paper's ordering and ours. */
export interface PairCheck {
  a: string;
  b: string;
  /** Paper value of a minus b. */
  paperDiff: number;
  ours: Comparison;
  /**
   * agrees: same direction (or both tie); tie: we cannot separate what the paper separates;
   * contradicts: opposite direction; differs: the paper ties and we separate; unknown: no numbers.
   */
  outcome: "agrees" | "tie" | "contradicts" | "differs" | "unknown";
}

/** Every pair (i < j) of a group's variants, with the paper's values and our summaries. */
export function checkPairs(
  items: readonly { id: string; paper: number | undefined; ours: Summary }[],
): PairCheck[] {
  const out: PairCheck[] = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const [x, y] = [items[i], items[j]];
      if (x.paper === undefined || y.paper === undefined) continue;
      const paperDiff = Math.round((x.paper - y.paper) * 100) / 100;
      const ours = compare(x.ours, y.ours);
      let outcome: PairCheck["outcome"];
      if (ours.verdict === "unknown") outcome = "unknown";
      else if (paperDiff === 0) outcome = ours.verdict === "tie" ? "agrees" : "differs";
      else if (ours.verdict === "tie") outcome = "tie";
      else outcome = (ours.verdict === "higher") === paperDiff > 0 ? "agrees" : "contradicts";
      out.push({ a: x.id, b: y.id, paperDiff, ours, outcome });
    }
  }
  return out;
}

/** Counts of pair outcomes, and of clear agreements / contradictions. */
export interface OrderingSummary {
  pairs: number;
  agrees: number;
  clearAgrees: number;
  ties: number;
  contradicts: number;
  clearContradicts: number;
  differs: number;
  unknown: number;
}

/** Tally {@link PairCheck}s. */
export function tallyPairs(pairs: readonly PairCheck[]): OrderingSummary {
  const t: OrderingSummary = {
    pairs: pairs.length,
    agrees: 0,
    clearAgrees: 0,
    ties: 0,
    contradicts: 0,
    clearContradicts: 0,
    differs: 0,
    unknown: 0,
  };
  for (const p of pairs) {
    if (p.outcome === "agrees") {
      t.agrees++;
      if (p.ours.clear) t.clearAgrees++;
    } else if (p.outcome === "tie") t.ties++;
    else if (p.outcome === "contradicts") {
      t.contradicts++;
      if (p.ours.clear) t.clearContradicts++;
    } else if (p.outcome === "differs") t.differs++;
    else t.unknown++;
  }
  return t;
}

/** The id with the highest value (first on ties); undefined when none is finite. */
export function best(items: readonly { id: string; value: number }[]): string | undefined {
  let top: { id: string; value: number } | undefined;
  for (const it of items) if (Number.isFinite(it.value) && (!top || it.value > top.value)) top = it;
  return top?.id;
}

/**
 * A one-line verdict on a table's ordering: whether the paper's ordering holds ("yes": every pair the
 * paper separates is separated the same way; "mostly": more pairs agree than are reversed; "no": at
 * least as many reversed as agree; "tie": no pair separated) and how confident that is (high: most
 * pairs separated clearly; low: mostly ties, or one seed).
 */
export function orderingVerdict(
  t: OrderingSummary,
  seeds: number,
): {
  holds: "yes" | "mostly" | "no" | "tie" | "untested";
  confidence: "high" | "medium" | "low";
  line: string;
} {
  const decided = t.agrees + t.contradicts + t.ties + t.differs;
  if (!decided) return { holds: "untested", confidence: "low", line: "no trained numbers to compare" };
  const holds = t.agrees + t.contradicts === 0
    ? "tie"
    : t.contradicts === 0 && t.ties === 0 && t.differs === 0
    ? "yes"
    : t.agrees > t.contradicts
    ? "mostly"
    : "no";
  const separated = (t.clearAgrees + t.clearContradicts) / decided;
  const confidence = seeds < 2
    ? "low"
    : separated >= 0.5 && t.ties / decided < 0.25
    ? "high"
    : separated >= 0.2
    ? "medium"
    : "low";
  const parts = [
    `${t.agrees}/${decided} pairs in the paper's order (${t.clearAgrees} clearly)`,
    `${t.ties} ties`,
    `${t.contradicts} reversed (${t.clearContradicts} clearly)`,
  ];
  if (t.differs) parts.push(`${t.differs} separated where the paper ties`);
  return { holds, confidence, line: `${parts.join(", ")}; ${seeds} seed${seeds === 1 ? "" : "s"}` };
}
