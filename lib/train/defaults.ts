/**
 * The one table of training defaults (official `train_dual.py` argument defaults, with this project's
 * default data): read by `deno task train`'s flags and usage text, by a run's option normalisation,
 * by `opt.yaml` and by `--resume`.
 * @module
 */
import type { TrainRunOptions } from "./types.ts";

/** Defaults of the options of one training run. */
export const TRAIN_DEFAULTS = {
  /** The embedded default dataset (generated on first use). */
  data: "mnist-det",
  epochs: 100,
  batch: 16,
  img: 640,
  seed: 0,
  project: "runs/train",
  name: "exp",
  /** Turn mosaic off for the last N epochs. */
  closeMosaic: 0,
  /** Drop training images with fewer labels. */
  minItems: 0,
  /** Accepted for compatibility (data loading runs in-process). */
  workers: 8,
  /** Early-stopping patience in epochs without fitness improvement. */
  patience: 100,
  /** Nominal batch `nbs` of gradient accumulation and weight-decay scaling. */
  nbs: 64,
  /** Lead-head guided assignment (paper Table 4 "LHG"). */
  lhg: false,
  /** Validate only after the final epoch. */
  noval: false,
} as const;

/** The knobs {@link TrainRunOptions} leaves optional, as a run uses them. */
export type TrainKnobs = "closeMosaic" | "minItems" | "workers" | "patience" | "nbs" | "lhg" | "noval";

/** `o` with every optional knob filled from {@link TRAIN_DEFAULTS}. */
export function withTrainDefaults(o: TrainRunOptions): TrainRunOptions & Required<Pick<TrainRunOptions, TrainKnobs>> {
  const D = TRAIN_DEFAULTS;
  return {
    ...o, closeMosaic: o.closeMosaic ?? D.closeMosaic, minItems: o.minItems ?? D.minItems, workers: o.workers ?? D.workers,
    patience: o.patience ?? D.patience, nbs: o.nbs ?? D.nbs, lhg: o.lhg ?? D.lhg, noval: o.noval ?? D.noval,
  };
}
