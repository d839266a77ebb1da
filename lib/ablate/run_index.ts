/**
 * One array task of a cluster ablation (`deno task ablate --run-index I --out DIR`): trains exactly
 * run I of `DIR/plan.json`. A finished run is skipped; a run whose lock is held by a live task is not
 * started; a stale lock (its task died) is taken over and the takeover logged (see ./lock.ts). The
 * record is written by the runner as in a local session, so `--collect` reads both alike.
 * @module
 */
import type { Job } from "./plan.ts";
import { type ClusterPlan, readClusterPlan } from "./cluster_plan.ts";
import { jobDir, progressLine, readRecord, runJobs, type RunRecord, type TrainFn } from "./runner.ts";
import { acquireLock, type LockOptions } from "./lock.ts";

/** Options of {@link runIndex}. */
export interface RunIndexOptions {
  out: string;
  index: number;
  /** Makes the train function once the plan is read (backend and evaluation options come from it). */
  train: (cp: ClusterPlan) => Promise<TrainFn>;
  lock?: LockOptions;
  log?: (line: string) => void;
}

/** What became of the run. */
export interface RunIndexResult {
  status: "done" | "failed" | "skipped" | "held";
  key: string;
  record?: RunRecord;
}

/** The run of index `index` of a plan and its stored job; errors name the plan and the range. */
export async function planRun(out: string, index: number): Promise<{ cp: ClusterPlan; job: Job }> {
  const cp = await readClusterPlan(out);
  const n = cp.runs.length;
  if (!Number.isInteger(index) || index < 0 || index >= n) {
    throw new RangeError(
      `--run-index ${index} is out of range: ${out}/plan.json has ${n} runs (0..${n - 1})`,
    );
  }
  const run = cp.runs[index];
  const path = `${jobDir(out, run.key)}/job.json`;
  const job = JSON.parse(
    await Deno.readTextFile(path).catch(() => {
      throw new Error(`${path} not found: the plan's folder is incomplete (emit it again with --emit)`);
    }),
  ) as Job;
  if (job.key !== run.key) {
    throw new Error(`${path}: key ${job.key}, but plan.json run ${index} is ${run.key}`);
  }
  return { cp, job };
}

/**
 * Train run `index` of the plan in `out` (see the module doc).
 *
 * @example
 * ```ts
 * import { inProcessTrain } from "./train_job.ts";
 * const r = await runIndex({ out: "runs/cluster", index: 3, train: () => Promise.resolve(inProcessTrain()) });
 * console.log(r.status); // "done", "failed", "skipped" (finished earlier) or "held" (another live task)
 * ```
 */
export async function runIndex(o: RunIndexOptions): Promise<RunIndexResult> {
  const log = o.log ?? ((l: string) => console.error(l));
  const { cp, job } = await planRun(o.out, o.index);
  const cells = cp.runs[o.index].cells.map((c) => `${c.table} ${c.variant} seed ${c.seed}`).join(", ");
  const head = `[ablate] run ${o.index}/${cp.runs.length} ${job.key} (${cells})`;
  const done = async () => {
    const rec = await readRecord(o.out, job.key);
    return rec?.status === "done" ? rec : null;
  };
  const finished = await done();
  if (finished) {
    log(`${head}: finished earlier, skipped`);
    return { status: "skipped", key: job.key, record: finished };
  }
  await Deno.mkdir(jobDir(o.out, job.key), { recursive: true });
  const lock = await acquireLock(`${jobDir(o.out, job.key)}/run.lock`, {
    ...o.lock,
    log: (l) => log(`[ablate] ${l}`),
  });
  if (!lock.acquired) {
    const h = lock.holder;
    log(
      `${head}: held by a live task (${h.host}:${h.pid}${
        h.task ? `, ${h.task}` : ""
      } since ${h.since}); not started`,
    );
    return { status: "held", key: job.key };
  }
  try {
    const earlier = await done(); // the previous holder may have finished before its lock went stale
    if (earlier) {
      log(`${head}: finished earlier, skipped`);
      return { status: "skipped", key: job.key, record: earlier };
    }
    log(`${head}: lock taken by ${lock.lock.holder.host}:${lock.lock.holder.pid}`);
    const records = await runJobs([job], {
      root: o.out,
      train: await o.train(cp),
      onProgress: (p) => log(`[ablate] ${progressLine(p)}`),
    });
    const record = records.get(job.key)!;
    return { status: record.status, key: job.key, record };
  } finally {
    await lock.lock.release();
  }
}
