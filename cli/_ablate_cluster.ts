/**
 * The cluster side of `deno task ablate`: `--emit slurm|k8s` (plan.json plus a Slurm array script or a
 * Kubernetes Indexed Job), `--run-index I` (one array task) and `--collect` (reports from whatever has
 * finished, and what has not with the command that resumes it). See lib/ablate/{cluster_plan,
 * emit_slurm,emit_k8s,run_index,collect,lock}.ts.
 * @module
 */
import { selectExperiments } from "../experiments/mod.ts";
import { getPreset } from "../lib/ablate/presets.ts";
import {
  type ClusterPlan,
  clusterPlan,
  type PlanSession,
  writeClusterPlan,
} from "../lib/ablate/cluster_plan.ts";
import { slurmScript } from "../lib/ablate/emit_slurm.ts";
import { k8sManifest } from "../lib/ablate/emit_k8s.ts";
import { runIndex } from "../lib/ablate/run_index.ts";
import { pendingLines, writeStatus } from "../lib/ablate/collect.ts";
import { writeAtomic } from "../lib/io/atomic.ts";
import type { AreaRule } from "../lib/ablate/coco_stats.ts";
import { type AblateOptions, planSession, runAblate } from "../lib/ablate/session.ts";
import { setupBackend } from "./_common.ts";

/** The schedulers `--emit` knows. */
export const SCHEDULERS = ["slurm", "k8s"] as const;

/** parseArgs options of the cluster flags. */
export const CLUSTER_FLAGS = {
  emit: { type: "string" },
  "run-index": { type: "string" },
  collect: { type: "boolean" },
  parallel: { type: "string" },
  "cpus-per-task": { type: "string" },
  gres: { type: "string" },
  time: { type: "string" },
  partition: { type: "string" },
  mem: { type: "string" },
  gpus: { type: "string" },
  image: { type: "string" },
  pvc: { type: "string" },
  workdir: { type: "string" },
  name: { type: "string" },
  namespace: { type: "string" },
  retries: { type: "string" },
} as const;

/** Usage lines of the cluster flags. */
export const CLUSTER_USAGE =
  `  deno task ablate --emit slurm [plan flags] --out DIR [--parallel M] [--cpus-per-task N] [--gres gpu:1]
    [--time 04:00:00] [--partition P] [--mem 16G] [--workdir PROJECT] [--name JOB]
  deno task ablate --emit k8s [plan flags] --out DIR --image IMG --pvc CLAIM [--parallel M] [--cpus-per-task N]
    [--mem 16Gi] [--gpus N] [--workdir /app] [--name JOB] [--namespace NS] [--retries R]
  deno task ablate --run-index I --out DIR     (one array task)
  deno task ablate --collect --out DIR         (reports from what has finished; lists what has not)`;

type Flags = Partial<Record<keyof typeof CLUSTER_FLAGS, string | boolean>>;

function count(v: string | boolean | undefined, what: string, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    throw new RangeError(`--${what}: expected an integer >= ${min}, got "${v}"`);
  }
  return n;
}

const str = (v: string | boolean | undefined) => (typeof v === "string" ? v : undefined);

/** Refuse an unknown scheduler before anything is generated or written. */
export function checkScheduler(s: string): asserts s is typeof SCHEDULERS[number] {
  if (!(SCHEDULERS as readonly string[]).includes(s)) {
    throw new RangeError(`--emit: unknown scheduler "${s}": expected one of ${SCHEDULERS.join(", ")}`);
  }
}

/** The absolute output folder (plain characters only: it is written into #SBATCH lines and manifests). */
export function absoluteOut(out: string): string {
  const abs = out.startsWith("/") ? out : `${Deno.cwd()}/${out}`;
  const clean = abs.replace(/\/\.(?=\/|$)/g, "").replace(/\/+$/, "");
  if (!/^[\w@%+=:,./-]+$/.test(clean)) {
    throw new RangeError(
      `--out: expected a path of letters, digits and ._-/ for a cluster plan, got "${out}"`,
    );
  }
  return clean;
}

/**
 * `--emit`: write plan.json, the jobs and the scheduler's file into `common.out`; returns the files.
 * `tables` are the experiment names given (recorded in the plan to plan the same runs again).
 */
export async function emitCluster(
  scheduler: string,
  common: Omit<AblateOptions, "train">,
  tables: string[] | undefined,
  flags: Flags,
): Promise<string[]> {
  checkScheduler(scheduler);
  const { plan, seeds, settings } = await planSession(common);
  const session: PlanSession = {
    preset: common.preset.name,
    ...(tables ? { tables } : {}),
    seeds,
    epochs: settings.epochs,
    ...(common.steps === undefined && common.epochs === undefined ? { ownLengths: true } : {}),
    data: {
      path: common.data.path,
      trainImages: common.data.trainImages,
      valImages: common.data.valImages ?? 0,
      nc: common.data.nc ?? 0,
    },
    ...(common.only ? { only: common.only } : {}),
    areaRule: common.areaRule ?? "terciles",
    ...(common.conf !== undefined ? { conf: common.conf } : {}),
    ...(common.backend ? { backend: common.backend } : {}),
  };
  const cp = clusterPlan(plan, session, common.out);
  const parallel = count(flags.parallel, "parallel", Math.min(cp.runs.length, 16));
  const cpus = count(flags["cpus-per-task"], "cpus-per-task", 1);
  const [file, text] = scheduler === "slurm"
    ? [
      "ablate.sbatch",
      slurmScript(cp, {
        parallel,
        cpusPerTask: cpus,
        gres: str(flags.gres),
        time: str(flags.time),
        partition: str(flags.partition),
        mem: str(flags.mem),
        workdir: str(flags.workdir) ?? new URL("../", import.meta.url).pathname.replace(/\/$/, ""),
        jobName: str(flags.name),
      }),
    ]
    : [
      "ablate-job.yaml",
      k8sManifest(cp, {
        parallel,
        image: str(flags.image) ?? "",
        pvc: str(flags.pvc) ?? "",
        workdir: str(flags.workdir),
        cpu: flags["cpus-per-task"] === undefined ? undefined : String(cpus),
        memory: str(flags.mem),
        gpus: flags.gpus === undefined ? undefined : count(flags.gpus, "gpus", 0, 0),
        retries: flags.retries === undefined ? undefined : count(flags.retries, "retries", 2, 0),
        name: str(flags.name),
        namespace: str(flags.namespace),
      }),
    ];
  await writeClusterPlan(common.out, cp, plan);
  await Deno.mkdir(`${common.out}/logs`, { recursive: true });
  await writeAtomic(`${common.out}/${file}`, text);
  if (scheduler === "slurm") await Deno.chmod(`${common.out}/${file}`, 0o755);
  return [`${common.out}/plan.json`, `${common.out}/${file}`];
}

/** The scheduler task running this process, for the lock file. */
function taskName(): string | undefined {
  const env = (k: string) => Deno.env.get(k);
  if (env("YOLO_ABLATE_TASK")) return env("YOLO_ABLATE_TASK");
  if (env("SLURM_ARRAY_JOB_ID")) return `slurm ${env("SLURM_ARRAY_JOB_ID")}_${env("SLURM_ARRAY_TASK_ID")}`;
  if (env("JOB_COMPLETION_INDEX")) return `k8s ${env("HOSTNAME") ?? "?"}`;
  return undefined;
}

/** `--run-index I`: train run I of the plan in `out`; a failed run exits non-zero. */
export async function runIndexCli(out: string, index: string, backend?: string): Promise<void> {
  if (!/^\d+$/.test(index)) {
    throw new RangeError(`--run-index: expected a non-negative integer, got "${index}"`);
  }
  const res = await runIndex({
    out,
    index: Number(index),
    lock: { task: taskName() },
    train: async (cp) => {
      await setupBackend(backend ?? cp.session.backend);
      const { inProcessTrain } = await import("../lib/ablate/train_job.ts");
      return inProcessTrain({ areaRule: cp.session.areaRule as AreaRule, conf: cp.session.conf });
    },
  });
  if (res.status === "failed") throw new Error(`run ${index} (${res.key}) failed: ${res.record?.error}`);
}

/** The session options of a stored plan, checked to plan the same runs. */
async function sessionOf(cp: ClusterPlan, backend: string): Promise<Omit<AblateOptions, "train">> {
  const s = cp.session;
  const common = {
    preset: getPreset(s.preset),
    experiments: selectExperiments(s.tables),
    seeds: s.seeds,
    epochs: s.ownLengths ? undefined : s.epochs,
    data: s.data,
    out: cp.out,
    jobs: 1,
    backend,
    areaRule: s.areaRule,
    conf: s.conf,
    only: s.only,
  };
  const { plan } = await planSession(common);
  const keys = plan.jobs.map((j) => j.key).join(",");
  if (keys !== cp.runs.map((r) => r.key).join(",")) {
    throw new Error(
      `${cp.out}/plan.json: its runs differ from what this version of the code plans for its session`,
    );
  }
  return common;
}

/** `--collect`: reports from the finished runs, `status.md`, and the unfinished runs with their commands. */
export async function collectCli(cp: ClusterPlan, backendFlag?: string): Promise<void> {
  const backend = await setupBackend(backendFlag ?? cp.session.backend);
  const common = await sessionOf(cp, backend);
  const res = await runAblate({
    ...common,
    collect: true,
    train: () => Promise.reject(new Error("--collect trains nothing")),
  });
  console.log(res.report);
  for (const line of pendingLines(await writeStatus(cp))) console.error(line);
  console.error(`[ablate] status: ${cp.out}/status.md`);
}
