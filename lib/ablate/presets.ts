/**
 * Presets of `deno task ablate`: how much training each table gets. One scaling rule (width, D_CSP
 * depth, divisor) applies to every variant of every table, so the variants keep their relative sizes;
 * the data are MNIST-Det (the first N images of the default dataset) unless `--data` names a YOLO
 * dataset YAML. `smoke` exercises everything end to end in minutes (2 variants per table, 1 seed,
 * 1 short epoch; for the tests), `quick` is the main job (all variants, 2 seeds, 2 runs in parallel), `full` is for a
 * long night or a GPU, `paper` is the paper's own recipe (Sec. 5.1: full-size models, COCO, 640 px, 500
 * epochs) for a GPU cluster (`--emit slurm|k8s`).
 * @module
 */
import type { ScaleOptions } from "../graph/scale.ts";

/** MNIST-Det generator settings of a preset (a prefix of the default dataset when only counts change). */
export interface MnistDetSpec {
  train: number;
  val: number;
  /** Generated image side (the default dataset: 160). */
  img?: number;
  /** Digit cell sizes in px and digits per image (defaults 16..64, 1..6). */
  minSize?: number;
  maxSize?: number;
  maxDigits?: number;
}

/** Settings of the information-bottleneck figures (Fig. 2/6). */
export interface IbSettings {
  /** Depths of the figure's columns, the gradient measures and the floor checks. */
  depths: number[];
  seeds: number;
  width: number;
  /** Side of the input images. */
  size: number;
  /** Study images: the 7 photos, then crops of them (lib/ib/images.ts). */
  images: number;
  /** Requested depths of the information-depth curves (default: lib/ib's depthGrid up to the deepest depth). */
  grid?: number[];
  /** Cells of the MI estimate (default 1024). */
  miSamples?: number;
}

/** Settings of Fig. 7 (feature maps after the first epoch, GELAN vs GELAN + PGI). */
export interface Fig7Settings {
  /** Validation images whose maps are scored (the first 4 are drawn). */
  images: number;
  /** Seeds of the one-epoch trainings (the session's seeds, extended by the next ones). */
  seeds: number;
}

/** A preset. */
export interface Preset {
  name: "smoke" | "quick" | "full" | "paper";
  description: string;
  seeds: number[];
  epochs: number;
  batch: number;
  /** Training / validation image size. */
  img: number;
  /** One scaling rule for every variant. */
  scale: ScaleOptions;
  mnistDet: MnistDetSpec;
  /** Hyperparameter overrides of hyp.scratch-high (lighter augmentation for short CPU runs). */
  hyp: Record<string, number>;
  /** Epochs at the end without mosaic (official close_mosaic). */
  closeMosaic: number;
  /** Nominal batch (`--nbs`): official 64 accumulates 4 batches of 16 per step; short runs need steps. */
  nbs: number;
  /** Validate only after the last epoch (`--noval`): the runs are scored on their final weights. */
  noval: boolean;
  /** Runs in parallel (`--jobs`; each its own process). */
  jobs: number;
  /** Train every variant, or only each ablation's smoke variants. */
  variants: "all" | "smoke";
  ib: IbSettings;
  fig7: Fig7Settings;
  /** The preset trains on a dataset the user names (`--data`), never on MNIST-Det: what it expects. */
  dataRequired?: string;
}

/**
 * Short CPU runs: no mosaic / mixup / copy-paste, milder scale jitter, 1-epoch warm-up (the official
 * floor of 100 iterations still applies) and lr0 0.02. With the official gradient clipping (norm 10;
 * measured norms ~1e5) every step moves the weights by at most lr0 x 10 whatever the model's size.
 * Measured on the quick preset's Table 2 (GELAN-S at 1/4 width, 64 px, 512 images, nominal batch 16,
 * 2 seeds, mean COCO AP of the four variants): 10 epochs at lr0 0.003: 0.1; lr0 0.01: 1.5; 16 epochs at
 * lr0 0.02: 4.1. Batch and nominal batch 32 instead of 16 cost about 15% more per step, so half the
 * steps take 0.57x the time, at about the same AP (lr0 0.01, 10 epochs: 1.5). At batch 32, 12 epochs:
 * width 1/4 2.1-3.1 (spread up to 0.8), width 1/8 2.1-2.2 (spread up to 0.6) at about half the time
 * of a GELAN-C / -E step (S: 80 vs 150 ms, C: 370 vs 600 ms, E: 540 vs 1220 ms, one thread); 9 epochs
 * at 1/4 width: 0.4-1.8. A warm-up floor of 16 iterations instead of the official 100 (which is 6 of
 * the 12 epochs here) lowered it to 0.7-1.4. The whole quick preset at 1/8 width and 12 epochs took
 * 50 min (GELAN-E variants 0.15-0.42); at 10 epochs validated once (`noval`) many runs fell below 0.5
 * (the 100-iteration warm-up leaves 3.75 epochs at full LR instead of 5.75). Losses
 * rise once after warm-up as the assigner starts to align (target scores grow).
 */
const CPU_HYP: Record<string, number> = {
  lr0: 0.02,
  warmup_epochs: 1,
  mosaic: 0,
  mixup: 0,
  copy_paste: 0,
  scale: 0.5,
};

/** MNIST-Det drawn at 64 px with larger, fewer digits (12-32 px, 1-4 per image) for 64 px training. */
const MNIST_DET_64 = { img: 64, minSize: 12, maxSize: 32, maxDigits: 4 };

/** Figure settings of the long presets (`full`, `paper`). */
const LONG_FIGURES: { ib: IbSettings; fig7: Fig7Settings } = {
  ib: { depths: [50, 100, 150, 200], seeds: 8, width: 32, size: 64, images: 32 },
  fig7: { images: 32, seeds: 4 },
};

/** The presets by name. */
export const PRESETS: Readonly<Record<Preset["name"], Preset>> = {
  smoke: {
    name: "smoke",
    description:
      "every table and figure end to end in a few minutes: 2 variants per table, 1 seed, 1 epoch of 16 images at 32 px",
    seeds: [0],
    epochs: 1,
    batch: 8,
    img: 32,
    scale: { width: 1 / 16, depth: 1, divisor: 8 },
    mnistDet: { train: 16, val: 8 },
    hyp: CPU_HYP,
    closeMosaic: 0,
    nbs: 8,
    noval: false,
    jobs: 1,
    variants: "smoke",
    ib: { depths: [4, 8], seeds: 2, width: 8, size: 32, images: 2, miSamples: 256 },
    fig7: { images: 2, seeds: 1 },
  },
  quick: {
    name: "quick",
    description:
      "all tables and figures: every variant, 2 seeds, 11 epochs of 512 MNIST-Det images (64 px) at 1/8 width, an optimizer step every batch of 32, validation after the last epoch only, 2 runs in parallel",
    seeds: [0, 1],
    epochs: 11,
    batch: 32,
    img: 64,
    scale: { width: 1 / 8, depth: 1, divisor: 8 },
    mnistDet: { train: 512, val: 64, ...MNIST_DET_64 },
    hyp: CPU_HYP,
    closeMosaic: 0,
    nbs: 32,
    noval: true,
    jobs: 2,
    variants: "all",
    ib: { depths: [25, 50, 100], seeds: 4, width: 16, size: 64, images: 8, miSamples: 512 },
    fig7: { images: 16, seeds: 4 },
  },
  full: {
    name: "full",
    description:
      "every variant, 3 seeds, 40 epochs of 1024 MNIST-Det images (64 px) at 1/4 width, 2 runs in parallel: a long night (several hours on the native backend)",
    seeds: [0, 1, 2],
    epochs: 40,
    batch: 16,
    img: 64,
    scale: { width: 1 / 4, depth: 1, divisor: 8 },
    mnistDet: { train: 1024, val: 256, ...MNIST_DET_64 },
    hyp: { ...CPU_HYP, warmup_epochs: 3 },
    closeMosaic: 0,
    nbs: 16,
    noval: false,
    jobs: 2,
    variants: "all",
    ...LONG_FIGURES,
  },
  paper: {
    name: "paper",
    description:
      "the paper's recipe on GPUs: every full-size variant, 1 seed, 500 epochs of COCO at 640 px, batch 128 at nominal batch 64, hyp.scratch-high unchanged, close-mosaic 15",
    seeds: [0],
    epochs: 500,
    batch: 128,
    img: 640,
    scale: { width: 1, depth: 1, divisor: 1 }, // divisor 1: the official configs unchanged
    mnistDet: { train: 0, val: 0 },
    hyp: {},
    closeMosaic: 15,
    nbs: 64,
    noval: false,
    jobs: 1,
    variants: "all",
    ...LONG_FIGURES,
    dataRequired:
      "a COCO dataset YAML (the official data/coco.yaml layout: train2017 / val2017 images and labels)",
  },
};

/** Look up a preset by name; the error lists the known names. */
export function getPreset(name: string): Preset {
  const p = (PRESETS as Record<string, Preset>)[name];
  if (!p) {
    throw new RangeError(`Unknown preset "${name}": expected one of ${Object.keys(PRESETS).join(", ")}`);
  }
  return p;
}
