/**
 * The ablation runner: executes a plan's jobs with an injected `train` function (the CLI passes the
 * real training, tests a fake), up to `jobs` at a time, and keeps one folder per job under
 * `root/_runs/<key>/` with `job.json` (what it is) and, once finished, `record.json` (its metrics).
 * A job with a `record.json` of status "done" is never run again, so an interrupted session resumes
 * where it stopped. Reports progress (table, variant, seed, epoch) with an ETA for the whole session.
 * @module
 */
import type { Job } from "./plan.ts";
import { writeJsonAtomic } from "../io/atomic.ts";

/** What a finished training run reports (APs in %, COCO order; -1 = empty bucket). */
export interface RunMetrics {
  ap: number;
  ap50: number;
  ap75: number;
  aps: number;
  apm: number;
  apl: number;
  /** The 12 COCO numbers as fractions. */
  coco: number[];
  /** val.py's mAP@0.5 and mAP@0.5:0.95 of the best epoch (fractions). */
  map50: number;
  map: number;
  bestEpoch: number;
  epochs: number;
  /** Area thresholds of APS/APM/APL (px²) and their rule. */
  areas?: [number, number];
  areaRule?: string;
  /** Backend and thread setting of the process that trained (or finished) the run, e.g. `native (oneDNN 2.6.3, 1 thread)`. */
  compute?: string;
}

/** The stored outcome of a job. */
export interface RunRecord {
  key: string;
  status: "done" | "failed";
  metrics?: RunMetrics;
  error?: string;
  /** Wall seconds of the training call. */
  seconds: number;
  finished: string;
}

/** What a train function receives besides the job. */
export interface TrainContext {
  /** The job's folder (the training run's project/name). */
  dir: string;
  /** Call after every epoch (0-based epoch just finished). */
  onEpoch(epoch: number): void;
  /** True once the session's time is up (`--max-minutes`): stop at the next checkpoint and throw {@link RunStopped}. */
  shouldStop(): boolean;
  /** The session's deadline (ms since the epoch; Infinity without one), for child processes. */
  deadline: number;
}

/** Thrown by a train function that stopped at the session's deadline: resumable, no record is written. */
export class RunStopped extends Error {
  constructor(what: string) {
    super(`${what}: stopped at the session's time limit (resumable)`);
    this.name = "RunStopped";
  }
}

/** Runs one job; throws on failure. */
export type TrainFn = (job: Job, ctx: TrainContext) => Promise<RunMetrics>;

/** A progress event. */
export interface Progress {
  kind: "skip" | "start" | "epoch" | "done" | "fail" | "stop";
  job: Job;
  epoch?: number;
  error?: string;
  /** Jobs finished (done, failed or skipped) of `total`. */
  finished: number;
  total: number;
  /** Estimated seconds until the whole plan is done. */
  etaSeconds: number;
}

/** Options of {@link runJobs}. */
export interface RunOptions {
  /** Session folder (runs/ablate); jobs live in `root/_runs/<key>`. */
  root: string;
  train: TrainFn;
  /** Jobs at a time (default 1). */
  jobs?: number;
  onProgress?: (p: Progress) => void;
  /** Run again jobs whose record says "failed" (default true). */
  retryFailed?: boolean;
  /**
   * Start no job after this time (ms since the epoch) and ask running ones to stop at their next
   * checkpoint (`--max-minutes`); the next session resumes them. Default: no limit.
   */
  deadline?: number;
}

/** Folder of a job. */
export function jobDir(root: string, key: string): string {
  return `${root}/_runs/${key}`;
}

/** The stored record of a job, or null. */
export async function readRecord(root: string, key: string): Promise<RunRecord | null> {
  try {
    return JSON.parse(await Deno.readTextFile(`${jobDir(root, key)}/record.json`)) as RunRecord;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Measured seconds per estimated second so far, and the remaining work (in estimated seconds). */
class Clock {
  private doneCost = 0;
  private spent = 0;
  private readonly partial = new Map<string, number>();
  constructor(private readonly prior: number, private remaining: number, private readonly lanes: number) {}
  rate(): number {
    return this.doneCost > 0 ? this.spent / this.doneCost : this.prior;
  }
  /** A job made `fraction` of its cost in `seconds` since the last call. */
  advance(job: Job, fraction: number, seconds: number): void {
    const before = this.partial.get(job.key) ?? 0;
    const step = Math.max(0, Math.min(1, fraction) - before) * job.cost;
    this.partial.set(job.key, Math.max(before, fraction));
    this.doneCost += step;
    this.spent += seconds;
    this.remaining -= step;
  }
  drop(job: Job): void {
    this.remaining -= (1 - (this.partial.get(job.key) ?? 0)) * job.cost;
    this.partial.set(job.key, 1);
  }
  eta(): number {
    return Math.max(0, this.remaining) * this.rate() / this.lanes;
  }
}

/**
 * Run every job of `jobs` not already done; returns the record of every job (including those found
 * finished). A failing job is recorded as "failed" and the others continue.
 */
export async function runJobs(jobs: readonly Job[], o: RunOptions): Promise<Map<string, RunRecord>> {
  const lanes = Math.max(1, Math.floor(o.jobs ?? 1));
  const deadline = o.deadline ?? Infinity;
  const records = new Map<string, RunRecord>();
  const clock = new Clock(1, jobs.reduce((s, j) => s + j.cost, 0), Math.min(lanes, jobs.length || 1));
  let finished = 0;
  const emit = (kind: Progress["kind"], job: Job, extra: Partial<Progress> = {}) =>
    o.onProgress?.({ kind, job, finished, total: jobs.length, etaSeconds: clock.eta(), ...extra });
  const todo: Job[] = [];
  for (const job of jobs) {
    const rec = await readRecord(o.root, job.key);
    if (rec && (rec.status === "done" || o.retryFailed === false)) {
      records.set(job.key, rec);
      clock.drop(job);
      finished++;
      emit("skip", job);
    } else todo.push(job);
  }
  const runOne = async (job: Job) => {
    const dir = jobDir(o.root, job.key);
    await Deno.mkdir(dir, { recursive: true });
    await writeJsonAtomic(`${dir}/job.json`, job);
    emit("start", job);
    const t0 = performance.now();
    let last = t0;
    const tick = (fraction: number) => {
      const now = performance.now();
      clock.advance(job, fraction, (now - last) / 1000);
      last = now;
    };
    let rec: RunRecord;
    try {
      const metrics = await o.train(job, {
        dir,
        onEpoch: (epoch) => {
          tick((epoch + 1) / job.settings.epochs);
          emit("epoch", job, { epoch });
        },
        shouldStop: () => Date.now() > deadline,
        deadline,
      });
      tick(1);
      rec = {
        key: job.key,
        status: "done",
        metrics,
        seconds: (performance.now() - t0) / 1000,
        finished: new Date().toISOString(),
      };
    } catch (e) {
      if (e instanceof RunStopped) {
        emit("stop", job);
        return;
      }
      tick(1);
      const error = (e as Error).message ?? String(e);
      rec = {
        key: job.key,
        status: "failed",
        error,
        seconds: (performance.now() - t0) / 1000,
        finished: new Date().toISOString(),
      };
    }
    await writeJsonAtomic(`${dir}/record.json`, rec);
    records.set(job.key, rec);
    finished++;
    emit(rec.status === "done" ? "done" : "fail", job, rec.error ? { error: rec.error } : {});
  };
  let next = 0;
  const lane = async () => {
    while (next < todo.length && Date.now() <= deadline) await runOne(todo[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, todo.length) }, lane));
  return records;
}

/** One line of progress for a terminal: which table, variant and seed, epoch, and the session's ETA. */
export function progressLine(p: Progress): string {
  const u = p.job.uses[0];
  const shared = p.job.uses.length > 1 ? ` (+${p.job.uses.length - 1} shared)` : "";
  const what = `${u.table} ${u.variant}${shared} seed ${p.job.seed}`;
  const eta = formatDuration(p.etaSeconds);
  const head = `[${p.finished}/${p.total}]`;
  switch (p.kind) {
    case "skip":
      return `${head} ${what}: finished earlier, skipped`;
    case "start":
      return `${head} ${what}: training ${p.job.settings.epochs} epochs · ETA ${eta}`;
    case "epoch":
      return `${head} ${what}: epoch ${p.epoch! + 1}/${p.job.settings.epochs} · ETA ${eta}`;
    case "done":
      return `${head} ${what}: done · ETA ${eta}`;
    case "stop":
      return `${head} ${what}: stopped at the time limit, resumes next session`;
    default:
      return `${head} ${what}: FAILED (${p.error}) · ETA ${eta}`;
  }
}

/** `1h02m`, `3m05s`, `42s`. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const t = Math.round(s);
  if (t >= 3600) return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, "0")}m`;
  if (t >= 60) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, "0")}s`;
  return `${t}s`;
}
