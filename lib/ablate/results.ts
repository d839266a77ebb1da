/**
 * Results of one ablation table as data: per variant the counts at 640 against the paper's columns,
 * the check that removing the auxiliary branches gives the base GELAN, the runs of every seed and the
 * mean / spread of each metric; per comparison group whether the paper's AP ordering holds. Pure.
 * @module
 */
import type { Cost } from "../graph/summary.ts";
import type { Entry } from "./plan.ts";
import type { RunRecord } from "./runner.ts";
import { type Ablation, type Metric, METRICS, type Variant } from "./spec.ts";
import {
  best,
  checkPairs,
  type OrderingSummary,
  orderingVerdict,
  type PairCheck,
  summarize,
  type Summary,
  tallyPairs,
} from "../stats/stats.ts";
import { checkCount, type CountCheck, type VariantCounts } from "./variants.ts";

/** One seed's run of a variant. */
export interface SeedRun {
  seed: number;
  key: string;
  record: RunRecord | null;
}

/** Everything known about one variant. */
export interface VariantResult {
  variant: Variant;
  /** Full-size counts (null for a paper-only row). */
  counts: VariantCounts | null;
  /** Training-graph cost of the CPU-scale model at the run's image size. */
  cpu: Cost | null;
  checks: { params?: CountCheck; gflops?: CountCheck };
  /** Inference model vs `variant.main` (null when the variant has no `main`). */
  main: { ok: boolean; ours: Cost; expected: Cost } | null;
  runs: SeedRun[];
  metrics: Record<Metric, Summary>;
}

/** Ordering of one comparison group (on AP). */
export interface GroupResult {
  group: string;
  pairs: PairCheck[];
  tally: OrderingSummary;
  paperBest?: string;
  oursBest?: string;
}

/** A whole table. */
export interface TableResult {
  ablation: Ablation;
  variants: VariantResult[];
  groups: GroupResult[];
  tally: OrderingSummary;
  verdict: ReturnType<typeof orderingVerdict>;
  seeds: number;
  /** Highest mean AP of the table's variants (NaN before training). */
  maxAp: number;
  /** Rows whose printed counts differ from ours / rows with printed counts. */
  countMismatches: number;
  countRows: number;
}

/** Inputs of {@link tableResult} for one variant. */
export interface VariantInputs {
  counts: VariantCounts | null;
  cpu: Cost | null;
  /** Counts of the expected inference model (`variant.main`), when it has one. */
  mainCounts?: VariantCounts;
}

/** Below this mean AP (%) everywhere, a table's runs are too short for an ordering verdict. */
export const MIN_AP = 0.5;

const pct = (x: number) => (x < 0 ? NaN : x);

/** Assemble a table's results from counts, plan entries and run records. */
export function tableResult(
  a: Ablation,
  inputs: ReadonlyMap<string, VariantInputs>,
  entries: readonly Entry[],
  records: ReadonlyMap<string, RunRecord>,
): TableResult {
  const variants = a.variants.map((v): VariantResult => {
    const inp = inputs.get(v.id) ?? { counts: null, cpu: null };
    const c = inp.counts;
    const checks: VariantResult["checks"] = {};
    if (c && v.paper.params !== undefined) {
      checks.params = checkCount(v.paper.params, c.inference.params_fused / 1e6);
    }
    if (c && v.paper.gflops !== undefined) {
      checks.gflops = checkCount(v.paper.gflops, c.inference.gflops_fused);
    }
    const main = c && inp.mainCounts
      ? {
        ok: c.inference.params_fused === inp.mainCounts.inference.params_fused &&
          Math.abs(c.inference.gflops_fused - inp.mainCounts.inference.gflops_fused) < 1e-9 &&
          c.inference.params === inp.mainCounts.inference.params,
        ours: c.inference,
        expected: inp.mainCounts.inference,
      }
      : null;
    const runs = entries.filter((e) => e.table === a.name && e.variant === v.id)
      .map((e) => ({ seed: e.seed, key: e.key, record: records.get(e.key) ?? null }));
    const done = runs.map((r) => r.record).filter((r): r is RunRecord => r?.status === "done" && !!r.metrics);
    const metrics = Object.fromEntries(
      METRICS.map((m) => [m, summarize(done.map((r) => pct(r.metrics![m])))]),
    ) as Record<Metric, Summary>;
    return { variant: v, counts: c, cpu: inp.cpu, checks, main, runs, metrics };
  });
  const groups: GroupResult[] = [];
  for (const g of new Set(a.variants.map((v) => v.group))) {
    const vs = variants.filter((r) => r.variant.group === g && r.runs.length);
    const pairs = checkPairs(
      vs.map((r) => ({ id: r.variant.id, paper: r.variant.paper.ap, ours: r.metrics.ap })),
    );
    groups.push({
      group: g,
      pairs,
      tally: tallyPairs(pairs),
      paperBest: best(vs.map((r) => ({ id: r.variant.id, value: r.variant.paper.ap ?? NaN }))),
      oursBest: best(vs.map((r) => ({ id: r.variant.id, value: r.metrics.ap.mean }))),
    });
  }
  const tally = tallyPairs(groups.flatMap((g) => g.pairs));
  const seeds = Math.min(...variants.filter((r) => r.runs.length).map((r) => r.metrics.ap.n), Infinity);
  const countRows = variants.filter((r) => r.checks.params || r.checks.gflops).length;
  const countMismatches =
    variants.filter((r) => r.checks.params?.match === false || r.checks.gflops?.match === false).length;
  const nSeeds = Number.isFinite(seeds) ? seeds : 0;
  const aps = variants.map((r) => r.metrics.ap.mean).filter(Number.isFinite);
  const maxAp = aps.length ? Math.max(...aps) : NaN;
  let verdict = orderingVerdict(tally, nSeeds);
  if (aps.length && maxAp < MIN_AP) {
    verdict = {
      holds: "untested",
      confidence: "low",
      line: `every mean AP is below ${MIN_AP} (max ${
        maxAp.toFixed(2)
      }): the runs are too short to separate the variants (${verdict.line})`,
    };
  }
  return {
    ablation: a,
    variants,
    groups,
    tally,
    verdict,
    maxAp,
    seeds: nSeeds,
    countMismatches,
    countRows,
  };
}
