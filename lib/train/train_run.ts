/**
 * A whole training run, as `train_dual.py` / `train.py` `train()`: datasets, model (from a config, optionally
 * initialised from `--weights`), hyperparameters, the epoch loop of {@link trainStep} with warm-up,
 * close-mosaic, per-epoch validation of the EMA model, fitness, checkpoints (`last` / `best`), results.csv and
 * plots, `--resume`, early stopping (patience 100) and a final validation of `best` with the PR curve and
 * the confusion matrix. This module orchestrates I/O; the numerics are the pure modules it calls.
 * @module
 */
import type { Dataset, Hyp } from "../data/types.ts";
import { autoAnchorConfig } from "./autoanchor.ts";
import { buildModelSpec } from "../models/build.ts";
import { isAnchorBased, type ModelSpec } from "../graph/spec.ts";
import { loadModelConfig } from "../models/shipped.ts";
import { type ModelConfig, parseModelConfig } from "../graph/config.ts";
import { initWeights } from "../graph/init.ts";
import { disposeWeights, weightValuesProblem } from "../graph/weights.ts";
import { flattenTree } from "../nn/tree.ts";
import { loadModel } from "../models/load.ts";
import { loadWeightsFile } from "../io/weights_file.ts";
import { fitness } from "../eval/metrics.ts";
import { loadHyp } from "./hyp.ts";
import { HYP_SCRATCH_P5 } from "../data/hyp.ts";
import { lossNames } from "../models/objective.ts";
import { paramGroups } from "../optim/param_groups.ts";
import { scaledWeightDecay } from "../optim/schedule.ts";
import { withTrainDefaults } from "./defaults.ts";
import { checkResumeOptions, optRecord, resumedOptions } from "./resume_options.ts";
import { initTrainState, releaseState, type StepConfig, type TrainState } from "./train_step.ts";
import { type CheckpointMeta, checkpointPaths, loadCheckpoint, saveCheckpoint, stripCheckpoint } from "./checkpoint.ts";
import { transferWeights } from "./pretrained.ts";
import { incrementPath, writeYaml } from "./run_files.ts";
import { type LoaderFn, validate, type ValResult } from "../infer/validate.ts";
import { runEpoch } from "./train_epoch.ts";
import { type Console, finishRun, makeConsole, recordEpoch } from "./run_report.ts";
import type { EpochRow, TrainRunOptions, TrainRunResult } from "./types.ts";
import { datasetReport, loadDataset } from "../data/dataset.ts";
import type { DataWarning } from "../data/labels.ts";
import { createLoader } from "../data/loader.ts";

/** The data functions a run needs (lib/data's `loadDataset` and `createLoader`; tests pass in-memory ones). */
export interface DataApi {
  loadDataset(yamlPath: string, split: "train" | "val", opts?: { minItems?: number; cache?: "disk" }): Promise<Dataset>;
  createLoader: LoaderFn;
}

/** The real data pipeline (lib/data): dataset YAML (or "mnist-det") and the augmenting loader. */
export const DEFAULT_DATA_API: DataApi = {
  loadDataset: (yamlPath, split, opts) => loadDataset(yamlPath, split, { minItems: opts?.minItems, cache: opts?.cache }),
  createLoader,
};

async function resolveConfig(cfg: TrainRunOptions["cfg"]): Promise<ModelConfig> {
  return typeof cfg === "string" ? await loadModelConfig(cfg) : parseModelConfig(cfg, "<cfg mapping>");
}

interface Prepared {
  opts: TrainRunOptions;
  dir: string;
  spec: ModelSpec;
  state: TrainState;
  cfg: StepConfig;
  hyp: Hyp;
  meta: CheckpointMeta;
  startEpoch: number;
}

async function prepare(
  o: TrainRunOptions,
  train: (o: TrainRunOptions) => Promise<Dataset>,
  log: Console,
): Promise<Prepared & { train: Dataset }> {
  if (o.resume) {
    const dir = `${o.project}/${o.name}`;
    const ck = await loadCheckpoint(`${dir}/weights`, paramGroups);
    const opts = resumedOptions(o, ck.meta.opt);
    const startEpoch = ck.meta.epoch + 1;
    try {
      await checkResumeOptions(o, ck.meta.opt, ck.meta.hyp, dir);
    } catch (e) {
      releaseState(ck.state);
      throw e;
    }
    log.info(`Resuming training from ${checkpointPaths(`${dir}/weights`).last} from epoch ${startEpoch} to ${opts.epochs} total epochs`);
    const ds = await train(opts);
    const cfg = stepConfig(ck.spec, ck.groups, ck.meta.hyp, opts, ds);
    return { opts, dir, spec: ck.spec, state: ck.state, cfg, hyp: ck.meta.hyp, meta: ck.meta, startEpoch, train: ds };
  }
  const dir = await incrementPath(`${o.project}/${o.name}`, o.existOk);
  await Deno.mkdir(`${dir}/weights`, { recursive: true });
  const ds = await train(o);
  let config = await resolveConfig(o.cfg);
  let spec = buildModelSpec(config, { nc: ds.names.length });
  // The anchor-based YOLOv7 trains with its own recipe (hyp.scratch.p5) unless --hyp says otherwise.
  const hyp = await loadHyp(o.hyp, isAnchorBased(spec) ? { defaults: HYP_SCRATCH_P5 } : {});
  if (isAnchorBased(spec)) {
    log.info(`${spec.name}: anchor-based IDetect, ComputeLossOTA; losses ${lossNames(spec).join(", ")}`);
    if (!o.noautoanchor) {
      const labels = Array.from({ length: ds.length }, (_, i) => ds.labels(i));
      const a = autoAnchorConfig(config, labels, { img: o.img, thr: hyp.anchor_t ?? 4, seed: o.seed });
      log.info(`AutoAnchor: ${a.result.aat.toFixed(2)} anchors/target, best possible recall ${a.result.bpr.toFixed(4)}` +
        (a.result.recomputed ? `; new anchors (BPR ${a.result.newBpr.toFixed(4)}): ${JSON.stringify(a.result.anchors.map((r) => r.map((v) => +v.toFixed(1))))}` : a.result.bpr < 0.98 ? `; k-means anchors no better (BPR ${a.result.newBpr.toFixed(4)}), kept` : ""));
      config = a.config;
      spec = buildModelSpec(config, { nc: ds.names.length });
    }
  }
  if ((hyp.paste_in ?? 0) > 0) log.info(`paste_in ${hyp.paste_in}: YOLOv7's paste-in augmentation is not applied by this loader`);
  let weights = initWeights(spec, { seed: o.seed });
  if (o.weights) {
    const file = await loadWeightsFile(o.weights, { ema: true });
    const names = new Set(flattenTree(weights).map(([k]) => k));
    const bad = weightValuesProblem(new Map([...file.tensors].filter(([k]) => names.has(k))));
    if (bad) {
      disposeWeights(weights);
      throw new Error(`Cannot start from --weights ${o.weights}: ${bad}`);
    }
    const t = transferWeights(weights, file.tensors);
    for (const r of t.replaced) r.dispose();
    weights = t.weights;
    log.info(`Transferred ${t.transferred}/${t.total} items from ${o.weights}`);
  }
  const groups = paramGroups(weights);
  const opt = optRecord(o, dir);
  await writeYaml(`${dir}/hyp.yaml`, hyp);
  await writeYaml(`${dir}/opt.yaml`, opt);
  const cfg = stepConfig(spec, groups, hyp, o, ds);
  log.info(`hyperparameters: ${Object.entries(hyp).map(([k, v]) => `${k}=${v}`).join(", ")}`);
  log.info(`optimizer: SGD(lr=${hyp.lr0}) with parameter groups ${groups.counts[2]} weight(decay=0.0), ` +
    `${groups.counts[1]} weight(decay=${cfg.weightDecay}), ${groups.counts[0]} bias`);
  const meta: CheckpointMeta = { epoch: -1, bestFitness: 0, rows: [], opt, hyp, names: ds.names, date: new Date().toISOString() };
  const state = initTrainState(weights, groups);
  // The starting point is a checkpoint too: a run stopped at any moment from here on can be resumed.
  await saveCheckpoint(`${dir}/weights`, { spec, state, groups, meta, isBest: false });
  return { opts: o, dir, spec, state, cfg, hyp, meta, startEpoch: 0, train: ds };
}

function stepConfig(spec: ModelSpec, groups: StepConfig["groups"], hyp: Hyp, opts: TrainRunOptions, ds: Dataset): StepConfig {
  const o = withTrainDefaults(opts);
  const nb = Math.ceil(ds.length / o.batch);
  return {
    spec, groups, lhg: o.lhg, img: o.img, weightDecay: scaledWeightDecay(hyp.weight_decay, o.batch, o.nbs),
    schedule: { hyp, epochs: o.epochs, batch: o.batch, batchesPerEpoch: nb, nbs: o.nbs },
  };
}

/**
 * Train a model (see the module doc). Writes `project/name/` (incremented unless `existOk` or `resume`):
 * weights/{last,best}.safetensors, results.csv, results.{svg,png}, PR_curve, confusion_matrix, opt.yaml,
 * hyp.yaml. A checkpoint is committed before the first epoch and after each (lib/io/commit.ts), so a run
 * stopped at any moment resumes (`resume`: every recorded option from the run) to the same result. A
 * non-finite loss stops the run with an error naming the epoch and batch, a non-finite state (e.g. a
 * BatchNorm variance overflowed) one naming the tensor; it is checked before saving, so the checkpoint
 * on disk is the last finite one. The data problems of both splits are printed first (file:line each,
 * a summary per split).
 *
 * @example
 * ```ts
 * const res = await trainRun({ cfg: "gelan-t", data: "data/mnist-det/mnist-det.yaml", epochs: 3, batch: 16, img: 160,
 *   seed: 0, project: "runs/train", name: "exp" });
 * ```
 */
export async function trainRun(opts: TrainRunOptions, data: DataApi = DEFAULT_DATA_API): Promise<TrainRunResult> {
  const t0 = performance.now();
  const log = makeConsole(opts.quiet);
  const p = await prepare(opts, (o) => data.loadDataset(o.data, "train", { minItems: o.minItems, cache: o.cache }), log);
  const o = p.opts;
  const val = await data.loadDataset(o.data, "val", { cache: o.cache });
  for (const line of [...datasetReport(p.train), ...datasetReport(val)]) log.info(line);
  const onWarning = (w: DataWarning) => log.info(`warning: ${w.message}`);
  const { spec, cfg, hyp, dir } = p;
  let state = p.state;
  const rows: EpochRow[] = [...p.meta.rows];
  let bestFitness = p.meta.bestFitness;
  const { patience } = withTrainDefaults(o);
  log.info(`Image sizes ${o.img} train, ${o.img} val\nLogging results to ${dir}\nStarting training for ${o.epochs} epochs...`);
  if (rows.length) await recordEpoch(dir, rows); // a resumed run may have been stopped before writing them
  let stopped = false;
  try {
    for (let epoch = p.startEpoch; epoch < o.epochs; epoch++) {
      if (rows.length && rows[rows.length - 1].epoch - bestRow(rows).epoch >= patience) {
        log.info(`Stopping training early as no improvement observed in last ${patience} epochs.`);
        break;
      }
      const mosaic = !(o.closeMosaic && epoch >= o.epochs - o.closeMosaic);
      if (o.closeMosaic && epoch === o.epochs - o.closeMosaic) log.info("Closing dataloader mosaic");
      const ep = await runEpoch(state, p.train, { epoch, mosaic, cfg, opts: o, loader: data.createLoader, log, onWarning });
      state = ep.state;
      let v: EpochMetrics = NOT_VALIDATED;
      if (!o.noval || epoch === o.epochs - 1) {
        const r = await validate(spec, state.ema.weights, val, {
          loader: data.createLoader, batch: o.batch * 2, img: o.img, hyp, names: p.train.names, onWarning,
        });
        log.valTable(r, false);
        v = r;
      }
      const fi = fitness([v.mp, v.mr, v.map50, v.map]);
      if (fi > bestFitness) bestFitness = fi;
      const row = makeRow(epoch, ep.meanLoss, v, ep.lr);
      rows.push(row);
      const isBest = bestFitness === fi;
      const meta: CheckpointMeta = { ...p.meta, epoch, bestFitness, rows, date: new Date().toISOString() };
      await saveCheckpoint(`${dir}/weights`, { spec, state, groups: cfg.groups, meta, isBest });
      await recordEpoch(dir, rows, lossNames(spec));
      o.onEpoch?.(row);
      if (epoch < o.epochs - 1 && opts.shouldStop?.()) {
        stopped = true;
        break;
      }
    }
  } finally {
    releaseState(state);
  }
  if (stopped) {
    log.info(`Stopped after epoch ${rows[rows.length - 1].epoch}: resume with --resume (${dir})`);
    return { dir, rows, best: bestRow(rows), seconds: (performance.now() - t0) / 1000, stopped };
  }
  const hours = (performance.now() - t0) / 3.6e6;
  log.info(`\n${rows.length - p.meta.rows.length} epochs completed in ${hours.toFixed(3)} hours.`);
  const best = await loadModel(checkpointPaths(`${dir}/weights`).best);
  log.info(`\nValidating ${checkpointPaths(`${dir}/weights`).best}...`);
  try {
    const v = await validate(best.spec, best.weights, val, {
      loader: data.createLoader, batch: o.batch * 2, img: o.img, hyp, names: p.train.names, onWarning,
    });
    log.valTable(v, true);
    await finishRun(dir, v, p.train.names);
  } finally {
    disposeWeights(best.weights);
  }
  await stripCheckpoint(`${dir}/weights`); // last: until here a resume redoes the end of the run
  log.info(`Results saved to ${dir}`);
  return { dir, rows, best: bestRow(rows), seconds: (performance.now() - t0) / 1000 };
}

/** What an epoch's row takes from its validation. */
type EpochMetrics = Pick<ValResult, "mp" | "mr" | "map50" | "map" | "loss">;

/** The metrics of an epoch without validation (`noval`): the official zeros. */
const NOT_VALIDATED: EpochMetrics = { mp: 0, mr: 0, map50: 0, map: 0, loss: [0, 0, 0] };

function rowFitness(r: EpochRow): number {
  return fitness([r["metrics/precision"], r["metrics/recall"], r["metrics/mAP_0.5"], r["metrics/mAP_0.5:0.95"]]);
}

/** The last row with the highest fitness (EarlyStopping's best epoch; `best` is saved on ties too). */
export function bestRow(rows: readonly EpochRow[]): EpochRow {
  return rows.reduce((b, r) => (rowFitness(r) >= rowFitness(b) ? r : b), rows[0]);
}

function makeRow(
  epoch: number,
  mloss: readonly number[],
  v: EpochMetrics,
  lr: readonly number[],
): EpochRow {
  return {
    epoch, "train/box_loss": mloss[0], "train/cls_loss": mloss[1], "train/dfl_loss": mloss[2],
    "metrics/precision": v.mp, "metrics/recall": v.mr, "metrics/mAP_0.5": v.map50, "metrics/mAP_0.5:0.95": v.map,
    "val/box_loss": v.loss[0], "val/cls_loss": v.loss[1], "val/dfl_loss": v.loss[2],
    "x/lr0": lr[0], "x/lr1": lr[1], "x/lr2": lr[2],
  };
}
