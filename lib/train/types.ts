/**
 * The contract of one training run, as used by `deno task train`, the ablation runner and the
 * notebooks: options in, per-epoch metrics and the run folder out.
 * @module
 */
import type { Batch } from "../data/types.ts";

/** Options of one training run (flags of `deno task train`). */
export interface TrainRunOptions {
  /** Model config name or YAML path, or a parsed official-format mapping. */
  cfg: string | Record<string, unknown>;
  /** Dataset YAML path. */
  data: string;
  /** Hyperparameter YAML path or mapping (official keys); default hyp.scratch-high. */
  hyp?: string | Record<string, number>;
  /** Initial weights (.safetensors or .pt). */
  weights?: string;
  epochs: number;
  batch: number;
  img: number;
  seed: number;
  /** Run folder = project/name. */
  project: string;
  name: string;
  /**
   * Resume from project/name/weights/last.safetensors: every recorded option (opt.yaml, hyp.yaml) is taken
   * from the run; those named in `explicit` must agree with it or the resume is refused.
   */
  resume?: boolean;
  /** The options the user gave explicitly (command-line flags); with `resume`, each is checked against the run's. */
  explicit?: readonly (keyof TrainRunOptions)[];
  /** Reuse project/name even when it exists (default: increment to name2, name3, ... as `increment_path`). */
  existOk?: boolean;
  /** Early-stopping patience in epochs without fitness improvement (official default 100). */
  patience?: number;
  /**
   * Nominal batch of gradient accumulation and weight-decay scaling (`nbs`, official 64). A smaller value
   * gives more optimizer steps per epoch, for short CPU runs on small datasets.
   */
  nbs?: number;
  /** Validate only after the final epoch (official `--noval`; the other epochs' metrics are 0, so `best` is the last). */
  noval?: boolean;
  /** Keep an anchor-based model's anchors as configured (official `--noautoanchor`; see autoanchor.ts). */
  noautoanchor?: boolean;
  closeMosaic?: number;
  minItems?: number;
  /** "disk": decoded images of both splits kept in one file per split (official `--cache disk`; see image_pack.ts). */
  cache?: "disk";
  workers?: number;
  /** Loss variant: lead-head guided assignment for the auxiliary branch (paper Table 4 "LHG"). */
  lhg?: boolean;
  /** Callback per epoch (progress for notebooks / the ablation runner). */
  onEpoch?: (row: EpochRow) => void;
  /**
   * Asked after each epoch's checkpoint (not after the last): true stops the run there, resumable, and
   * the result says `stopped` (the ablation runner's `--max-minutes`).
   */
  shouldStop?: () => boolean;
  /** Sees every training batch (as the loader made it, augmented) before its step, with its epoch and index. */
  onBatch?: (b: Batch, at: { epoch: number; index: number }) => void;
  /** Silence the console progress bar. */
  quiet?: boolean;
}

/** One row of results.csv (official column names). */
export interface EpochRow {
  epoch: number;
  "train/box_loss": number;
  "train/cls_loss": number;
  "train/dfl_loss": number;
  "metrics/precision": number;
  "metrics/recall": number;
  "metrics/mAP_0.5": number;
  "metrics/mAP_0.5:0.95": number;
  "val/box_loss": number;
  "val/cls_loss": number;
  "val/dfl_loss": number;
  "x/lr0": number;
  "x/lr1": number;
  "x/lr2": number;
}

/** Result of a training run. */
export interface TrainRunResult {
  dir: string;
  rows: EpochRow[];
  best: EpochRow;
  /** Seconds of wall time. */
  seconds: number;
  /** The run stopped early at `shouldStop` (resumable; no final validation yet). */
  stopped?: boolean;
}
