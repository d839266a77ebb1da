/**
 * `plan.json` of an ablation handed to a cluster scheduler: the session's settings (what
 * `deno task ablate` needs to rebuild the same plan) and one entry per unique run (array index, key,
 * the table cells it serves and the exact command that trains it). Each run's job (config, settings)
 * is stored beside it in `_runs/<key>/job.json`; a task reads both, so every node trains exactly what
 * was planned. A folder holds one plan: writing a different one into it is refused.
 * @module
 */
import type { Plan } from "./plan.ts";
import { canonicalJson } from "./plan.ts";
import { jobDir } from "./runner.ts";
import { pathExists } from "../io/exists.ts";
import { writeJsonAtomic } from "../io/atomic.ts";

/** Session settings of a plan (the options of `deno task ablate` that shape it). */
export interface PlanSession {
  preset: string;
  /** `--table` names (undefined: all). */
  tables?: string[];
  seeds: number[];
  epochs: number;
  /** The length came from the preset (no `--steps` / `--epochs`): tables with their own length keep it. */
  ownLengths?: boolean;
  data: { path: string; trainImages: number; valImages: number; nc: number };
  /** `--variants` restriction. */
  only?: Record<string, string[]>;
  areaRule: string;
  conf?: number;
  /** `--backend` of every task (undefined: the best available on the node). */
  backend?: string;
}

/** A table cell a run serves. */
export interface PlanCell {
  table: string;
  variant: string;
  seed: number;
}

/** One run of the plan (one array task). */
export interface PlanRun {
  index: number;
  key: string;
  cells: PlanCell[];
  /** The command that trains it (run in the project's folder). */
  command: string;
  /** Prior estimate of its seconds on one CPU thread (see lib/ablate/plan.ts). */
  estimatedSeconds: number;
}

/** The content of `plan.json`. */
export interface ClusterPlan {
  version: 1;
  /** The output folder every task writes to (absolute; a shared file system or volume). */
  out: string;
  session: PlanSession;
  runs: PlanRun[];
  created: string;
}

/** Quote a word for a POSIX shell (left bare when it is plain). */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'"'"'`)}'`;
}

/** The command of one run: `deno task ablate --run-index I --out DIR`. */
export function runCommand(index: number | string, out: string): string {
  return `deno task ablate --run-index ${index} --out ${shellQuote(out)}`;
}

/** The plan.json of a plan (runs in the plan's order; index = array task id). */
export function clusterPlan(plan: Plan, session: PlanSession, out: string): ClusterPlan {
  const runs = plan.jobs.map((j, index) => ({
    index,
    key: j.key,
    cells: plan.entries.filter((e) => e.key === j.key).map((e) => ({
      table: e.table,
      variant: e.variant,
      seed: e.seed,
    })),
    command: runCommand(index, out),
    estimatedSeconds: Math.round(j.cost),
  }));
  return { version: 1, out, session, runs, created: new Date().toISOString() };
}

/** Path of the first difference of two JSON values ("" when equal). */
function firstDifference(a: unknown, b: unknown, at = ""): string {
  if (canonicalJson(a) === canonicalJson(b)) return "";
  if (a && b && typeof a === "object" && typeof b === "object") {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const d = firstDifference(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        at ? `${at}.${k}` : k,
      );
      if (d) return d;
    }
  }
  return `${at || "(top)"}: ${JSON.stringify(a)?.slice(0, 80)} vs ${JSON.stringify(b)?.slice(0, 80)}`;
}

/** Where two plans differ (ignoring the creation time), or "" when they are the same plan. */
export function planDifference(a: ClusterPlan, b: ClusterPlan): string {
  const strip = ({ created: _, ...rest }: ClusterPlan) => rest;
  return firstDifference(strip(a), strip(b));
}

/** Read `out/plan.json`; errors name the file and what was expected. */
export async function readClusterPlan(out: string): Promise<ClusterPlan> {
  const path = `${out}/plan.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        `${path} not found: emit a plan first (deno task ablate --emit slurm|k8s --out ${out})`,
      );
    }
    throw e;
  }
  let p: ClusterPlan;
  try {
    p = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (p?.version !== 1 || !Array.isArray(p.runs) || !p.session) {
    throw new Error(
      `${path}: expected a version 1 ablation plan with "session" and "runs", got ${text.slice(0, 80)}`,
    );
  }
  return p;
}

/**
 * Write `plan.json` and every run's `job.json` into `out`. A folder that already holds a different plan
 * is refused (nothing is written); the same plan again is left as it was.
 */
export async function writeClusterPlan(out: string, cp: ClusterPlan, plan: Plan): Promise<"new" | "same"> {
  const path = `${out}/plan.json`;
  if (await pathExists(path)) {
    const diff = planDifference(await readClusterPlan(out), cp);
    if (diff) {
      throw new Error(
        `${path} holds another plan (first difference: ${diff}); nothing was overwritten: choose another --out`,
      );
    }
  }
  for (const j of plan.jobs) {
    const dir = jobDir(out, j.key);
    await Deno.mkdir(dir, { recursive: true });
    if (!(await pathExists(`${dir}/job.json`))) await writeJsonAtomic(`${dir}/job.json`, j);
  }
  if (await pathExists(path)) return "same";
  await writeJsonAtomic(path, cp);
  return "new";
}
