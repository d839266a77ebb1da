/**
 * `deno task ablate [--preset smoke|quick|full|paper] [--table table2,table4,...] [--seeds 2] [--epochs N] [--data d.yaml]
 * [--jobs N] [--out runs/ablate] [--backend X]`: reproduces the paper's tables and figures at CPU scale
 * beside the printed numbers (see experiments/ and lib/ablate/). Interrupted sessions resume: runs with
 * a finished record are not repeated. `--plan` prints the plan and the estimated time without training.
 * `--emit slurm|k8s`, `--run-index I` and `--collect` hand the runs to a cluster (./_ablate_cluster.ts).
 * @module
 */
import { parseArgs } from "node:util";
import { isAbsolute, relative } from "node:path";
import { runMain, setupBackend } from "./_common.ts";
import { intFlag, numberFlag } from "./args.ts";
import { getPreset, mnistDetTrainImages, type Preset } from "../lib/ablate/presets.ts";
import type { Job } from "../lib/ablate/plan.ts";
import type { AreaRule } from "../lib/ablate/coco_stats.ts";
import { doneRecords, planSession, runAblate } from "../lib/ablate/session.ts";
import { EXPERIMENT_NAMES, selectExperiments } from "../experiments/mod.ts";
import { pathExists } from "../lib/io/exists.ts";
import { readClusterPlan } from "../lib/ablate/cluster_plan.ts";
import {
  absoluteOut,
  checkScheduler,
  CLUSTER_FLAGS,
  CLUSTER_USAGE,
  collectCli,
  emitCluster,
  runIndexCli,
} from "./_ablate_cluster.ts";

const USAGE = `usage: deno task ablate [--preset smoke|quick|full|paper] [--table ${
  EXPERIMENT_NAMES.join(",")
}] [--seeds N | --seeds a,b,c]
  [--steps N | --epochs N] [--max-minutes N] [--data dataset.yaml] [--jobs N] [--out runs/ablate] [--variants table2:csp,conv;table5:s_gelan]
  [--area-rule terciles|coco] [--conf 1e-5] [--plan [--step-times bench.json]] [--sweep] [--backend X]
${CLUSTER_USAGE}`;

/** `--seeds 3` = seeds 0,1,2; `--seeds 0,4` = those seeds. */
function parseSeeds(v: string): number[] {
  if (!v.includes(",")) return Array.from({ length: intFlag(v, "seeds", 1) }, (_, i) => i);
  const s = v.split(",").filter((x) => x.trim() !== "").map(Number);
  if (!s.length || s.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new RangeError(
      `--seeds: expected a count or non-negative integers separated by commas, got "${v}"`,
    );
  }
  return s;
}

/** `table2:csp,conv;table5:s_gelan` -> {table2: [csp, conv], table5: [s_gelan]}. */
function parseVariants(v: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const part of v.split(";").filter(Boolean)) {
    const [t, ids] = part.split(":");
    if (!t || !ids) throw new RangeError(`--variants: expected table:id,id;table:id, got "${part}"`);
    out[t.trim()] = ids.split(",").map((s) => s.trim());
  }
  return out;
}

/** A path inside the working folder in its relative form: the same data gives the same job keys however `--out`/`--data` name it. */
function keyPath(p: string): string {
  if (!isAbsolute(p)) return p;
  const rel = relative(Deno.cwd(), p);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : p;
}

async function resolveData(
  dataFlag: string | undefined,
  preset: Preset,
  out: string,
  steps: number,
): Promise<{ path: string; trainImages: number; valImages: number; nc: number }> {
  const data = await import("../lib/data/mod.ts");
  if (!dataFlag && preset.dataRequired) {
    throw new RangeError(`--preset ${preset.name} needs --data: ${preset.dataRequired}`);
  }
  if (dataFlag) {
    const [t, v] = await Promise.all([
      data.loadDataset(dataFlag, "train"),
      data.loadDataset(dataFlag, "val"),
    ]);
    return { path: keyPath(dataFlag), trainImages: t.length, valImages: v.length, nc: t.names.length };
  }
  const { val, ...gen } = preset.mnistDet;
  const train = mnistDetTrainImages(preset, steps);
  const d = data.MNIST_DET_DEFAULTS;
  const isDefault = train === d.train && val === d.val &&
    Object.entries(gen).every(([k, v]) => d[k as keyof typeof d] === v);
  const tag = [train, val, ...Object.entries(gen).map(([k, v]) => `${k}${v}`)].join("-");
  const dir = isDefault ? data.DEFAULT_MNIST_DET_DIR : `${out}/data/mnist-det-${tag}`;
  const path = keyPath(await data.ensureMnistDet(dir, { train, val, ...gen }));
  return { path, trainImages: train, valImages: val, nc: (await data.readDatasetYaml(path)).names.length };
}

/** `--run-job`: one job in this process (the child of `--jobs N`); prints `epoch N` lines, writes metrics.json. */
async function runJob(
  path: string,
  backend: string | undefined,
  areaRule: AreaRule,
  conf?: number,
  deadline = Infinity,
): Promise<void> {
  await setupBackend(backend);
  const { trainJob, STOPPED_EXIT } = await import("../lib/ablate/train_job.ts");
  const { RunStopped } = await import("../lib/ablate/runner.ts");
  const job = JSON.parse(await Deno.readTextFile(path)) as Job;
  const dir = path.replace(/\/[^/]*$/, "");
  const ctx = {
    dir,
    onEpoch: (e: number) => console.log(`epoch ${e}`),
    shouldStop: () => Date.now() > deadline,
    deadline,
  };
  try {
    const metrics = await trainJob(job, ctx, { areaRule, conf });
    await Deno.writeTextFile(`${dir}/metrics.json`, JSON.stringify(metrics));
  } catch (e) {
    if (e instanceof RunStopped) Deno.exit(STOPPED_EXIT);
    throw e;
  }
}

/** `--plan` at GPU scale: GPU-hours of the plan and of what is still to train, and their basis. */
async function printGpuHours(all: Job[], pending: Job[], nc: number, stepTimes?: string): Promise<void> {
  const g = await import("../lib/ablate/gpu_cost.ts");
  const basis = stepTimes
    ? await g.measuredBasis(JSON.parse(await Deno.readTextFile(stepTimes)), stepTimes)
    : await g.documentedBasis();
  const [a, p] = [g.gpuHours(all, basis, nc).total, g.gpuHours(pending, basis, nc).total]
    .map((h) => (h < 10 ? h.toPrecision(3) : h.toFixed(0)));
  console.log(
    `${all.length} unique runs: ${a} GPU-hours (${pending.length} still to train: ${p}); from ${basis.label}`,
  );
}

/** `--sweep`: the preset's recipe sweep (experiments/recipe_sweep.ts) into `<out>/sweep/`, then its table. */
async function runSweep(
  preset: Preset,
  data: { path: string; trainImages: number; valImages: number },
  out: string,
  train: import("../lib/ablate/runner.ts").TrainFn,
  jobs: number,
): Promise<void> {
  const { QUICK_SWEEP } = await import("../experiments/recipe_sweep.ts");
  const { sweepJobs, sweepMarkdown } = await import("../lib/ablate/sweep.ts");
  const { runJobs, progressLine } = await import("../lib/ablate/runner.ts");
  const { writeAtomic } = await import("../lib/io/atomic.ts");
  const list = await sweepJobs(QUICK_SWEEP, preset, data);
  const records = await runJobs(list, {
    root: `${out}/sweep`,
    train,
    jobs,
    onProgress: (p) => console.error(`[sweep] ${progressLine(p)}`),
  });
  const md = sweepMarkdown(QUICK_SWEEP, list, records);
  await writeAtomic(`${out}/sweep/sweep.md`, md);
  console.log(md);
}

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      preset: { type: "string" },
      table: { type: "string" },
      seeds: { type: "string" },
      epochs: { type: "string" },
      steps: { type: "string" },
      "max-minutes": { type: "string" },
      deadline: { type: "string" },
      data: { type: "string" },
      jobs: { type: "string" },
      out: { type: "string", default: "runs/ablate" },
      variants: { type: "string" },
      "area-rule": { type: "string", default: "terciles" },
      conf: { type: "string" },
      plan: { type: "boolean" },
      sweep: { type: "boolean" },
      "step-times": { type: "string" },
      backend: { type: "string" },
      "run-job": { type: "string" },
      help: { type: "boolean", short: "h" },
      ...CLUSTER_FLAGS,
    },
  });
  if (values.help) return console.log(USAGE);
  const areaRule = values["area-rule"] as AreaRule;
  if (!["terciles", "coco"].includes(areaRule)) {
    throw new RangeError(`--area-rule must be terciles or coco, got "${areaRule}"`);
  }
  const conf = numberFlag(values.conf, "conf", { min: 0, max: 1, belowMax: true });
  if (values["run-job"]) {
    const deadline = values.deadline === undefined
      ? Infinity
      : numberFlag(values.deadline, "deadline", { min: 0 })!;
    return await runJob(values["run-job"], values.backend, areaRule, conf, deadline);
  }
  if (values["run-index"] !== undefined) {
    return await runIndexCli(values.out!, values["run-index"], values.backend);
  }
  if (values.emit !== undefined) checkScheduler(values.emit);
  const planFlags = ["preset", "table", "seeds", "epochs", "steps", "data", "variants"] as const;
  const emitted = !values.plan && values.emit === undefined && await pathExists(`${values.out}/plan.json`);
  if (values.collect || emitted) {
    // A folder of an emitted plan: a plain session over it collects (it never trains behind the scheduler).
    const cp = await readClusterPlan(values.out!);
    const given = planFlags.filter((f) => values[f] !== undefined);
    if (given.length) {
      throw new RangeError(
        `${values.out}/plan.json holds an emitted plan (preset ${cp.session.preset}): --${
          given.join(", --")
        } would make another; collect it with --collect, or choose another --out`,
      );
    }
    return await collectCli(cp, values.backend);
  }
  const preset = getPreset(values.preset ?? "quick");
  const jobs = values.jobs === undefined ? preset.jobs : intFlag(values.jobs, "jobs", 1);
  const out = values.emit !== undefined ? absoluteOut(values.out!) : values.out!.replace(/\/+$/, "");
  if (jobs > 1 && !Deno.env.get("YOLO_NATIVE_THREADS")) {
    // Each of the parallel runs (children inherit the setting) gets its share of the cores, fixed:
    // the adaptive mode's probes and thread-pool wake-ups cost a busy machine time, and a fixed count
    // makes a run's numbers independent of what else ran beside it. --plan times steps the same way.
    Deno.env.set(
      "YOLO_NATIVE_THREADS",
      String(Math.max(1, Math.floor(navigator.hardwareConcurrency / jobs))),
    );
  }
  const backend = await setupBackend(values.backend);
  const tables = values.table?.split(",").map((s) => s.trim());
  selectExperiments(tables); // unknown names fail before any data is generated
  const steps = values.steps === undefined ? preset.steps : intFlag(values.steps, "steps", 1);
  const data = await resolveData(values.data, preset, out, steps);
  const common = {
    preset,
    experiments: selectExperiments(tables),
    seeds: values.seeds ? parseSeeds(values.seeds) : undefined,
    // Given: every run's length; omitted: the preset's, or a table's own (`Ablation.steps`).
    steps: values.steps === undefined ? undefined : steps,
    epochs: values.epochs ? intFlag(values.epochs, "epochs", 1) : undefined,
    data,
    out,
    jobs,
    backend,
    areaRule,
    conf,
    only: values.variants ? parseVariants(values.variants) : undefined,
  };
  if (values.emit !== undefined) {
    // Every task selects the backend named at emit time (or the best one on its node).
    const files = await emitCluster(values.emit, { ...common, backend: values.backend }, tables, values);
    return console.log(`wrote ${files.join(", ")}`);
  }
  if (values.plan) {
    const { plan } = await planSession(common);
    const done = await doneRecords(out, plan.jobs);
    const pending = plan.jobs.filter((j) => !done.has(j.key));
    if (preset.name === "paper" || values["step-times"]) {
      return await printGpuHours(plan.jobs, pending, data.nc, values["step-times"]);
    }
    const st = await import("../lib/ablate/step_times.ts");
    const threads = Number(Deno.env.get("YOLO_NATIVE_THREADS")) || navigator.hardwareConcurrency;
    const times = await st.measureStepTimes(
      plan,
      { backend, threads, nc: data.nc },
      `${out}/step_times.json`,
      {
        log: (l) => console.error(l),
      },
    );
    const left = new Set(pending.map((j) => j.key));
    const took = new Map([...done].flatMap(([k, r]) => (r.seconds ? [[k, r.seconds] as const] : [])));
    console.log(st.planTable(plan, times, jobs, left, st.calibration(plan, times, took)));
    return;
  }
  const { inProcessTrain, subprocessTrain } = await import("../lib/ablate/train_job.ts");
  const train = jobs > 1
    ? subprocessTrain({ backend: values.backend, areaRule, conf })
    : inProcessTrain({ areaRule, conf });
  if (values.sweep) return await runSweep(preset, data, out, train, jobs);
  const maxMinutes = numberFlag(values["max-minutes"], "max-minutes", { min: 0 });
  const deadline = maxMinutes === undefined ? undefined : Date.now() + maxMinutes * 60_000;
  const res = await runAblate({ ...common, train, deadline });
  console.log(res.report);
});
