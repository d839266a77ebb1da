/**
 * The real train function of the ablation runner: one job = `trainRun` into the job's folder (resumed
 * from `weights/last.safetensors` when an earlier session was interrupted), then one validation pass of
 * the best weights scored with COCO statistics (AP, AP50, AP75, APS/M/L). Predictions down to
 * confidence `conf` are kept (default 1e-5): the official 0.001 hides every box of a briefly trained
 * model, whose class scores start at sigmoid(ln(5 / nc / 6400)) < 1e-4 (head bias init).
 * Both splits load with the disk image cache (`cache: "disk"`, lib/data/image_pack.ts): the first run
 * decodes the data once, every later run of the session reads one file.
 * Also a subprocess variant for `--jobs N` (tfjs state is global, so parallel runs are processes).
 * @module
 */
import { trainRun } from "../train/train_run.ts";
import { parseResultsCsv } from "../train/run_files.ts";
import type { EpochRow } from "../train/types.ts";
import { validate } from "../infer/validate.ts";
import { loadHyp } from "../train/hyp.ts";
import { loadModel } from "../models/load.ts";
import { disposeWeights } from "../graph/weights.ts";
import { createLoader, loadDataset } from "../data/mod.ts";
import { type AreaRule, cocoStats } from "./coco_stats.ts";
import type { Job } from "./plan.ts";
import { type RunMetrics, RunStopped, type TrainContext, type TrainFn } from "./runner.ts";
import { pathExists } from "../io/exists.ts";
import { backendSummary } from "../backend/backend.ts";
import { yolov7HypFor } from "../loss/yolov7_ota.ts";
import { readDatasetYaml } from "../data/dataset_yaml.ts";

/** Options of the real train function. */
export interface TrainJobOptions {
  /** Lowest confidence kept for the COCO evaluation (default 1e-5). */
  conf?: number;
  areaRule?: AreaRule;
}

/**
 * The hyp of a job: the session's, and for a job with `yolov7Gains` (the plan gives them to YOLOv7's) the
 * cls / obj values that give those gains after train.py's rescaling for the dataset's classes and size.
 */
async function jobHyp(job: Job): Promise<Record<string, number>> {
  const s = job.settings;
  if (!s.yolov7Gains) return s.hyp;
  const { nc } = await readDatasetYaml(s.data);
  return { ...s.hyp, ...yolov7HypFor(s.yolov7Gains, { nc, img: s.img }) };
}

/** Train one job in-process and evaluate it (see the module doc). */
export async function trainJob(job: Job, ctx: TrainContext, o: TrainJobOptions = {}): Promise<RunMetrics> {
  const s = job.settings;
  const dir = ctx.dir.replace(/\/+$/, "");
  const project = dir.replace(/\/[^/]*$/, "");
  const name = dir.slice(project.length + 1);
  // A run folder with a resume sidecar was interrupted; one with best weights and no sidecar finished
  // training before its record was written (then only the evaluation is redone).
  const resume = await pathExists(`${dir}/weights/last.state.safetensors`);
  const trained = !resume && await pathExists(`${dir}/weights/best.safetensors`) &&
    await pathExists(`${dir}/results.csv`);
  let rows: EpochRow[];
  if (trained) rows = parseResultsCsv(await Deno.readTextFile(`${dir}/results.csv`));
  else {
    const res = await trainRun({
      cfg: job.cfg,
      data: s.data,
      hyp: await jobHyp(job),
      epochs: s.epochs,
      batch: s.batch,
      img: s.img,
      seed: job.seed,
      project,
      name,
      existOk: true,
      resume,
      quiet: true,
      lhg: job.lhg,
      closeMosaic: s.closeMosaic,
      nbs: s.nbs,
      noval: s.noval,
      cache: "disk",
      onEpoch: (row) => ctx.onEpoch(row.epoch),
      shouldStop: ctx.shouldStop,
    });
    if (res.stopped) throw new RunStopped(`run ${job.key}`);
    rows = res.rows;
  }
  const model = await loadModel(`${dir}/weights/best.safetensors`);
  try {
    const val = await loadDataset(s.data, "val", { cache: "disk" });
    const v = await validate(model.spec, model.weights, val, {
      loader: createLoader,
      batch: s.batch * 2,
      img: s.img,
      hyp: await loadHyp(s.hyp),
      conf: o.conf ?? 1e-5,
      losses: false,
    });
    const c = cocoStats(v.gt, v.predictions, val.names, o.areaRule ?? "terciles");
    const pct = (x: number) => (x < 0 ? -1 : 100 * x);
    const bestRow = rows.reduce(
      (b, r) => (r["metrics/mAP_0.5:0.95"] > (b?.["metrics/mAP_0.5:0.95"] ?? -1) ? r : b),
      rows[0],
    );
    return {
      ap: pct(c.stats[0]),
      ap50: pct(c.stats[1]),
      ap75: pct(c.stats[2]),
      aps: pct(c.stats[3]),
      apm: pct(c.stats[4]),
      apl: pct(c.stats[5]),
      coco: c.stats,
      map50: v.map50,
      map: v.map,
      bestEpoch: bestRow?.epoch ?? -1,
      epochs: s.epochs,
      areas: c.areas,
      areaRule: c.rule,
      compute: backendSummary(),
    };
  } finally {
    disposeWeights(model.weights);
  }
}

/** Exit status of a `--run-job` child that stopped at the deadline (resumable). */
export const STOPPED_EXIT = 75;

/** The in-process train function. */
export function inProcessTrain(o: TrainJobOptions = {}): TrainFn {
  return (job, ctx) => trainJob(job, ctx, o);
}

/**
 * A train function that runs each job in its own `deno run -A cli/ablate.ts --run-job <dir>/job.json`
 * process (for `--jobs N`): epochs are reported through the child's stdout (`epoch N` lines), metrics
 * through `<dir>/metrics.json`; a child stopped at the session's deadline exits with {@link STOPPED_EXIT}.
 */
export function subprocessTrain(o: TrainJobOptions & { backend?: string } = {}): TrainFn {
  return async (job, ctx) => {
    const cli = new URL("../../cli/ablate.ts", import.meta.url).pathname;
    const args = [
      "run",
      "-A",
      cli,
      "--run-job",
      `${ctx.dir}/job.json`,
      "--area-rule",
      o.areaRule ?? "terciles",
    ];
    if (o.backend) args.push("--backend", o.backend);
    if (Number.isFinite(ctx.deadline)) args.push("--deadline", String(ctx.deadline));
    if (o.conf !== undefined) args.push("--conf", String(o.conf));
    const child = new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" }).spawn();
    const errChunks: string[] = [];
    const readErr = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) errChunks.push(chunk);
    })();
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const m = /^epoch (\d+)$/.exec(buf.slice(0, i).trim());
        if (m) ctx.onEpoch(Number(m[1]));
        buf = buf.slice(i + 1);
      }
    }
    const status = await child.status;
    await readErr;
    if (status.code === STOPPED_EXIT) throw new RunStopped(`run ${job.key}`);
    if (!status.success) {
      const tail = errChunks.join("").trim().split("\n").slice(-3).join(" | ");
      throw new Error(`training process exited with ${status.code}: ${tail}`);
    }
    return JSON.parse(await Deno.readTextFile(`${ctx.dir}/metrics.json`)) as RunMetrics;
  };
}
