/**
 * Time estimates of an ablation plan from step times measured on the current backend: a few timed
 * training steps of every distinct model of the plan at the session's batch and image size, cached in
 * `<out>/step_times.json` by (model, backend, threads, batch, img, classes), so a second `--plan` costs
 * nothing. A run is estimated as its steps x the step time, plus its evaluations (a forward pass of
 * every validation image after each epoch, about a third of a training step per batch) and a fixed
 * 20 s (data, model build, the final validation, checkpoints). Runs already finished in the output
 * folder calibrate the estimate ({@link calibration}): the steps alone miss the data loading and
 * augmentation, the evaluations' NMS and what parallel runs cost each other.
 * @module
 */
import { parseModelConfig } from "../graph/config.ts";
import { buildModelSpec } from "../models/build.ts";
import { median, timeTrainSteps } from "../train/step_timer.ts";
import { writeJsonAtomic } from "../io/atomic.ts";
import { batchesPerEpoch, canonicalJson, type Job, type Plan, shortHash } from "./plan.ts";
import { formatDuration } from "./runner.ts";

/** One cached measurement. */
export interface StepTime {
  /** Median seconds per training step. */
  seconds: number;
  steps: number;
  measured: string;
}

/** Where the step times were measured (part of the cache key). */
export interface TimingContext {
  backend: string;
  threads: number;
  nc: number;
}

/** Steps of a job (epochs x batches per epoch). */
export function jobSteps(j: Job): number {
  return j.settings.epochs * batchesPerEpoch(j.settings);
}

/** Estimated seconds of a job from its model's step time. */
export function jobSeconds(j: Job, step: number): number {
  const s = j.settings;
  const evals = s.noval ? 1 : s.epochs;
  const evalSteps = evals * Math.ceil((s.valImages ?? 0) / s.batch) / 3;
  return jobSteps(j) * step + evalSteps * step + 20;
}

/** Measure (or read from the cache) the step time of every distinct model of `plan`. */
export async function measureStepTimes(
  plan: Plan,
  ctx: TimingContext,
  cachePath: string,
  o: { steps?: number; log?: (line: string) => void } = {},
): Promise<Map<string, number>> {
  const cache: Record<string, StepTime> = await Deno.readTextFile(cachePath).then(JSON.parse).catch(() => ({}));
  const byJob = new Map<string, number>();
  let changed = false;
  for (const j of plan.jobs) {
    const s = j.settings;
    const key = await shortHash(canonicalJson({ cfg: j.cfg, lhg: j.lhg, ...ctx, batch: s.batch, img: s.img }));
    if (!cache[key]) {
      const spec = buildModelSpec(parseModelConfig(j.cfg, j.uses[0].variant), { nc: ctx.nc });
      const steps = o.steps ?? 3;
      const t = await timeTrainSteps(spec, { batch: s.batch, img: s.img, steps });
      cache[key] = { seconds: median(t.seconds), steps, measured: new Date().toISOString() };
      o.log?.(`[plan] ${j.uses[0].table} ${j.uses[0].variant}: ${cache[key].seconds.toFixed(3)} s/step (${ctx.backend}, ${ctx.threads} thread(s))`);
      changed = true;
    }
    byJob.set(j.key, cache[key].seconds);
  }
  if (changed) await writeJsonAtomic(cachePath, cache);
  return byJob;
}

/** Measured over estimated wall time of finished runs: median, range and count. */
export interface Calibration {
  ratio: number;
  lo: number;
  hi: number;
  runs: number;
}

/**
 * How long finished runs took against their estimate: `seconds` maps a job key to its recorded wall
 * seconds (record.json). Null when none of the plan's runs has finished.
 */
export function calibration(
  plan: Plan,
  stepTimes: ReadonlyMap<string, number>,
  seconds: ReadonlyMap<string, number>,
): Calibration | null {
  const ratios = plan.jobs.flatMap((j) => {
    const s = seconds.get(j.key), step = stepTimes.get(j.key);
    return s && step ? [s / jobSeconds(j, step)] : [];
  }).sort((a, b) => a - b);
  if (!ratios.length) return null;
  return { ratio: median(ratios), lo: ratios[0], hi: ratios[ratios.length - 1], runs: ratios.length };
}

/** The `--plan` text: per table its runs, steps per run and estimated time, then the total. */
export function planTable(
  plan: Plan,
  stepTimes: ReadonlyMap<string, number>,
  lanes: number,
  pending: ReadonlySet<string>,
  cal: Calibration | null = null,
): string {
  const jobs = new Map(plan.jobs.map((j) => [j.key, j]));
  const counted = new Set<string>();
  const lines = ["| table | variants | seeds | runs (new) | steps per run | estimated time (new runs, one lane) |", "|---|---|---|---|---|---|"];
  let total = 0;
  for (const table of [...new Set(plan.entries.map((e) => e.table))]) {
    const es = plan.entries.filter((e) => e.table === table);
    let secs = 0, fresh = 0;
    for (const key of new Set(es.map((e) => e.key))) {
      if (counted.has(key) || !pending.has(key)) continue;
      counted.add(key);
      secs += jobSeconds(jobs.get(key)!, stepTimes.get(key) ?? NaN);
      fresh++;
    }
    total += secs;
    const steps = [...new Set(es.map((e) => jobSteps(jobs.get(e.key)!)))].join(", ");
    const variants = new Set(es.map((e) => e.variant)).size, seeds = new Set(es.map((e) => e.seed)).size;
    lines.push(`| ${table} | ${variants} | ${seeds} | ${new Set(es.map((e) => e.key)).size} (${fresh}) | ${steps} | ${formatDuration(secs)} |`);
  }
  lines.push(
    "",
    `Total: ${counted.size} runs still to train, ${formatDuration(total)} of run time; with ${lanes} run(s) in parallel about ${formatDuration(total / lanes)} (runs shared by several tables are counted once, at their first table).`,
  );
  if (cal) {
    const x = (v: number) => `${v.toFixed(2)}x`;
    lines.push(
      `Calibrated: the ${cal.runs} finished run(s) here took ${x(cal.ratio)} their estimate (median; ${x(cal.lo)}-${x(cal.hi)}: data, augmentation, evaluations, parallel runs), so about ${formatDuration(total * cal.ratio / lanes)} with ${lanes} in parallel.`,
    );
  }
  return lines.join("\n");
}
