/**
 * One training epoch of `train_dual.py`: `optimizer.zero_grad()`, then for every batch of the training
 * loader (augmented, shuffled, mosaic unless closed) one {@link trainStepAsync} at global iteration
 * `ni = i + nb * epoch`, the running mean of the loss items and the progress line.
 * @module
 */
import type { Dataset, LoaderOptions } from "../data/types.ts";
import type { ProgressInfo } from "./progress.ts";
import { releaseState, type StepConfig, type TrainState, trainStepAsync, zeroGrad } from "./train_step.ts";
import type { LoaderFn } from "../infer/validate.ts";
import type { TrainRunOptions } from "./types.ts";
import { lossNames } from "../models/objective.ts";

/** Console hooks an epoch reports to. */
export interface EpochConsole {
  /** The header line, with the model's loss names. */
  header(losses?: readonly string[]): void;
  progress(p: ProgressInfo): void;
  progressEnd(): void;
}

/** Options of {@link runEpoch}. */
export interface EpochOptions {
  epoch: number;
  mosaic: boolean;
  cfg: StepConfig;
  opts: Pick<TrainRunOptions, "batch" | "img" | "seed" | "epochs" | "onBatch">;
  loader: LoaderFn;
  log: EpochConsole;
  /** Receives the loader's warnings (an image that cannot be decoded is left out). */
  onWarning?: LoaderOptions["onWarning"];
}

/** Result of an epoch: the new state, the mean [box, cls, dfl] and the LR of each group at the last batch. */
export interface EpochResult {
  state: TrainState;
  meanLoss: [number, number, number];
  lr: [number, number, number];
  batches: number;
}

/**
 * Run one epoch. The given state is released as the epoch advances (the returned state replaces it); on
 * an error (e.g. a non-finite loss) the current state is released and the error rethrown.
 */
export async function runEpoch(start: TrainState, ds: Dataset, e: EpochOptions): Promise<EpochResult> {
  const { epoch, cfg } = e;
  const nb = cfg.schedule.batchesPerEpoch;
  let state = zeroGrad(start);
  releaseState(start, state);
  const mloss: [number, number, number] = [0, 0, 0];
  let lr: [number, number, number] = [0, 0, 0];
  let i = 0;
  const t0 = performance.now();
  e.log.header(lossNames(cfg.spec));
  const batches = e.loader(ds, {
    batch: e.opts.batch, img: e.opts.img, stride: Math.max(...cfg.spec.strides, 32), augment: true,
    mosaic: e.mosaic, hyp: cfg.schedule.hyp, seed: e.opts.seed, epoch, shuffle: true, onWarning: e.onWarning,
  });
  try {
    for await (const batch of batches) {
      let r;
      try {
        e.opts.onBatch?.(batch, { epoch, index: i });
        r = await trainStepAsync(state, batch, { epoch, batch: i, ni: i + nb * epoch, donate: true }, cfg);
      } finally {
        batch.images.dispose();
      }
      releaseState(state, r.state);
      state = r.state;
      for (let k = 0; k < 3; k++) mloss[k] = (mloss[k] * i + r.metrics.items[k]) / (i + 1);
      lr = r.metrics.settings.lr;
      i++;
      e.log.progress({
        epoch, epochs: e.opts.epochs, memBytes: Deno.memoryUsage().rss, meanLoss: mloss,
        instances: r.metrics.instances, size: batch.images.shape[2], done: i, total: nb,
        elapsed: (performance.now() - t0) / 1000,
      });
    }
  } catch (err) {
    e.log.progressEnd();
    releaseState(state);
    throw err;
  }
  e.log.progressEnd();
  return { state, meanLoss: mloss, lr, batches: i };
}
