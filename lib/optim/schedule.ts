/**
 * Learning-rate schedule, warm-up and gradient accumulation of `train.py` / `train_dual.py`
 * (reference spec §5.3-5.4): per-epoch linear decay `lf`, per-iteration warm-up by `np.interp`
 * over `nw = max(round(warmup_epochs * nb), 100)` iterations (bias LR falls from `warmup_bias_lr`,
 * the other groups rise from 0, momentum rises from `warmup_momentum`), accumulation to a nominal
 * batch `nbs` with weight decay scaled to it. Plain numbers only.
 * @module
 */
import { interp, roundHalfEven } from "../eval/numpy_compat.ts";
import type { Hyp } from "../data/types.ts";

/** The default (linear) LR lambda: `lf(e) = (1 - e / epochs) * (1 - lrf) + lrf`. */
export function linearLf(epochs: number, lrf: number): (epoch: number) => number {
  return (e) => (1 - e / epochs) * (1.0 - lrf) + lrf;
}

/** `accumulate = max(round(nbs / batch), 1)` (Python's round: halves to even). */
export function nominalAccumulate(batch: number, nbs: number): number {
  return Math.max(roundHalfEven(nbs / batch), 1);
}

/** `hyp['weight_decay'] *= batch * accumulate / nbs`. */
export function scaledWeightDecay(weightDecay: number, batch: number, nbs: number): number {
  return weightDecay * batch * nominalAccumulate(batch, nbs) / nbs;
}

/** `nw = max(round(warmup_epochs * nb), 100)`: warm-up iterations. */
export function warmupIterations(warmupEpochs: number, batchesPerEpoch: number): number {
  return Math.max(roundHalfEven(warmupEpochs * batchesPerEpoch), 100);
}

/** What a schedule needs to know of the run. */
export interface ScheduleConfig {
  hyp: Hyp;
  epochs: number;
  batch: number;
  /** Batches per epoch (`nb`). */
  batchesPerEpoch: number;
  /** Nominal batch (official 64, see `lib/train/defaults.ts`). */
  nbs: number;
}

/** Optimizer settings of one iteration. */
export interface IterationSettings {
  /** LR per group: 0 biases, 1 weights with decay, 2 BatchNorm weights. */
  lr: [number, number, number];
  momentum: number;
  /** Step the optimizer when `ni - lastOptStep >= accumulate`. */
  accumulate: number;
  /** Inside the warm-up (`ni <= nw`). */
  warmup: boolean;
}

/**
 * Settings of global iteration `ni = i + nb * epoch` (the warm-up block of `train_dual.py`): during
 * warm-up `lr_0 = interp(ni, [0, nw], [warmup_bias_lr, lr0 lf(epoch)])`, `lr_1,2 = interp(.., [0, lr0 lf(epoch)])`,
 * `momentum = interp(.., [warmup_momentum, momentum])`, `accumulate = max(1, round(interp(.., [1, nbs / batch])))`;
 * afterwards `lr = lr0 lf(epoch)`, `momentum`, `accumulate = max(round(nbs / batch), 1)`.
 */
export function iterationSettings(ni: number, epoch: number, cfg: ScheduleConfig): IterationSettings {
  const { hyp, batch } = cfg;
  const nbs = cfg.nbs;
  const target = hyp.lr0 * linearLf(cfg.epochs, hyp.lrf)(epoch);
  const nw = warmupIterations(hyp.warmup_epochs, cfg.batchesPerEpoch);
  if (ni > nw) {
    return { lr: [target, target, target], momentum: hyp.momentum, accumulate: nominalAccumulate(batch, nbs), warmup: false };
  }
  const at = (a: number, b: number) => interp([ni], [0, nw], [a, b])[0];
  return {
    lr: [at(hyp.warmup_bias_lr, target), at(0, target), at(0, target)],
    momentum: at(hyp.warmup_momentum, hyp.momentum),
    accumulate: Math.max(1, roundHalfEven(at(1, nbs / batch))),
    warmup: true,
  };
}
