/**
 * Ablations as data: what one experiment of the paper compares (its variants as model configurations
 * built from a base config and edits), the paper's printed row for each variant, the metrics to report
 * and the comparison groups whose ordering is checked. Types and validation only.
 * @module
 */
import type { Edit } from "./edits.ts";

/** Training metrics an ablation can report (COCO box AP family, in %). */
export type Metric = "ap" | "ap50" | "ap75" | "aps" | "apm" | "apl";

/** All metrics in COCO summary order. */
export const METRICS: readonly Metric[] = ["ap", "ap50", "ap75", "aps", "apm", "apl"];

/** Column titles of the metrics (as the paper's headers). */
export const METRIC_TITLES: Readonly<Record<Metric, string>> = {
  ap: "AP",
  ap50: "AP50",
  ap75: "AP75",
  aps: "APS",
  apm: "APM",
  apl: "APL",
};

/** A paper row as printed: #Param. in M, FLOPs in G, APs in %; absent = not printed. */
export interface PaperRow {
  params?: number;
  gflops?: number;
  ap?: number;
  ap50?: number;
  ap75?: number;
  aps?: number;
  apm?: number;
  apl?: number;
}

/** One variant (a row of the table). */
export interface Variant {
  /** Unique within the ablation, snake_case (used in file names). */
  id: string;
  /** The row's label, as the paper prints it (e.g. "GELAN-S · Res"). */
  label: string;
  /** Comparison group: variants of a group are ranked against each other (e.g. "GELAN-S"). */
  group: string;
  /**
   * Shipped config name (`gelan-s`) or a YAML path relative to the repository root; null = a paper row
   * that cannot be built here (no counts, no training; the reason goes in `note`).
   */
  base: string | null;
  /** Config edits applied to the base, in order. */
  edits?: Edit[];
  /** Lead-head guided assignment of the auxiliary targets (Table 4 "LHG"). */
  lhg?: boolean;
  /** The paper's printed numbers. */
  paper: PaperRow;
  /**
   * The GELAN whose counts the inference model must have (shipped config or path, with `mainEdits`):
   * stripping the auxiliary branches of this variant must give exactly this model (Tables 4 and 5).
   */
  main?: { base: string; edits?: Edit[] };
  /** How this variant was built where the paper leaves it open; printed in the report. */
  note?: string;
}

/** A training-based ablation (one table of the paper). */
export interface Ablation {
  /** Registry name and output folder (`table2`). */
  name: string;
  /** Title for the report ("Table 2 — computational blocks"). */
  title: string;
  /** The paper's caption and what is varied. */
  caption: string;
  /** Paper columns this table prints besides the metrics (params, gflops). */
  countColumns: ("params" | "gflops")[];
  /** Metrics this table prints (and we report). */
  metrics: Metric[];
  variants: Variant[];
  /** Variant ids trained by the smoke preset (default: the first two of the first group). */
  smoke?: string[];
  /**
   * Variant ids the quick preset trains (default: every buildable variant): a representative subset
   * whose pairs the paper orders, chosen so that runs are shared across tables; the rest is "full only".
   */
  quick?: string[];
  /**
   * This table's run length in optimizer steps under a preset, where it differs from the preset's
   * (`Preset.steps`): set once for all its variants, from a measured learning curve of its base variant
   * (see the table's doc). Tables that share runs must agree; `--steps` / `--epochs` override it.
   */
  steps?: Partial<Record<"quick" | "full", number>>;
  /** Interpretation notes (where the paper leaves a variant undefined), printed in the report. */
  notes: string[];
}

/** What a figure run produced: its status and one line for the session report. */
export interface FigureOutcome {
  status: "done" | "not available" | "failed";
  line: string;
  /** Main file, relative to the figure's folder. */
  link?: string;
}

/** One finished (or missing) training run a figure analyses. */
export interface FigureRun {
  variant: string;
  seed: number;
  /** The run folder (weights/best.safetensors, weights/last.safetensors). */
  dir: string;
  done: boolean;
}

/** What a figure's `run` receives. */
export interface FigureContext {
  /** Output folder of the figure (runs/ablate/<name>). */
  dir: string;
  /** Settings of the preset (passed through; figures read what they need). */
  settings: Record<string, unknown>;
  /** Runs of the figure's `training` part. */
  runs: FigureRun[];
  /** Dataset YAML of the session. */
  data: string;
  img: number;
  /** The figure's notes (for its results page). */
  notes: readonly string[];
  log: (line: string) => void;
}

/** A figure entry: qualitative experiments with their own analysis (I/O in `run`). */
export interface Figure {
  name: string;
  title: string;
  caption: string;
  notes: string[];
  /**
   * Short trainings the figure needs (planned and resumed with the tables' runs): `epochs` a number, or
   * "warmup" = one epoch, or the session's own runs when they end inside the warm-up anyway.
   */
  training?: {
    ablation: Ablation;
    epochs: number | "warmup";
    /** The seeds to train, from the preset and the session's seeds (default: the session's). */
    seeds?: (preset: Record<string, unknown>, session: readonly number[]) => number[];
  };
  run(ctx: FigureContext): Promise<FigureOutcome>;
}

/** Check an ablation's data: ids unique and snake_case, groups non-empty, metrics known. Throws on the first problem. */
export function validateAblation(a: Ablation): void {
  const where = `ablation ${a.name}`;
  if (!/^[a-z0-9_]+$/.test(a.name)) {
    throw new SyntaxError(`${where}: name must be snake_case, got "${a.name}"`);
  }
  if (!a.variants.length) throw new SyntaxError(`${where}: expected at least one variant, got none`);
  const seen = new Set<string>();
  for (const v of a.variants) {
    if (!/^[a-z0-9_]+$/.test(v.id)) {
      throw new SyntaxError(`${where}: variant id must be snake_case, got "${v.id}"`);
    }
    if (seen.has(v.id)) throw new SyntaxError(`${where}: duplicate variant id "${v.id}"`);
    seen.add(v.id);
    if (!v.group) throw new SyntaxError(`${where}: variant ${v.id} has no group`);
  }
  for (const m of a.metrics) {
    if (!METRICS.includes(m)) {
      throw new SyntaxError(`${where}: unknown metric "${m}" (expected one of ${METRICS.join(", ")})`);
    }
  }
  for (const [kind, ids] of [["smoke", a.smoke], ["quick", a.quick]] as const) {
    for (const id of ids ?? []) {
      if (!seen.has(id)) {
        throw new SyntaxError(
          `${where}: ${kind} variant "${id}" is not a variant id (have ${[...seen].join(", ")})`,
        );
      }
    }
  }
}

/** The variants the smoke preset trains: `a.smoke`, else the first two buildable variants. */
export function smokeVariants(a: Ablation): Variant[] {
  if (a.smoke) return a.variants.filter((v) => a.smoke!.includes(v.id));
  return a.variants.filter((v) => v.base !== null).slice(0, 2);
}

/** The variants the quick preset trains: `a.quick`, else every buildable variant. */
export function quickVariants(a: Ablation): Variant[] {
  return a.variants.filter((v) => v.base !== null && (!a.quick || a.quick.includes(v.id)));
}
