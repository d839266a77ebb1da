/**
 * Where a cluster ablation stands (`deno task ablate --collect --out DIR`): every run of `plan.json`
 * as done, failed, running (its lock held by a live task) or not started, and for each unfinished run
 * the command that resumes it; written to `DIR/status.md` beside the reports.
 * @module
 */
import type { ClusterPlan, PlanRun } from "./cluster_plan.ts";
import { jobDir, readRecord, type RunRecord } from "./runner.ts";
import { type LockHolder, staleReason } from "./lock.ts";
import { writeAtomic } from "../io/atomic.ts";

/** State of one run. */
export interface RunState {
  run: PlanRun;
  state: "done" | "failed" | "running" | "not started";
  record?: RunRecord;
  /** The live holder of a running run's lock. */
  holder?: LockHolder;
}

/** The state of every run of a plan. */
export async function runStates(cp: ClusterPlan): Promise<RunState[]> {
  const out: RunState[] = [];
  for (const run of cp.runs) {
    const record = await readRecord(cp.out, run.key) ?? undefined;
    if (record?.status === "done") {
      out.push({ run, state: "done", record });
      continue;
    }
    const path = `${jobDir(cp.out, run.key)}/run.lock`;
    const lock = await Deno.readTextFile(path).then(async (t) => {
      const holder = JSON.parse(t) as LockHolder;
      const st = await Deno.stat(path);
      return (await staleReason(holder, st.mtime ?? new Date(0))) === null ? holder : undefined;
    }, () => undefined);
    if (lock) out.push({ run, state: "running", holder: lock, ...(record ? { record } : {}) });
    else out.push({ run, state: record ? "failed" : "not started", ...(record ? { record } : {}) });
  }
  return out;
}

function cells(r: PlanRun): string {
  return r.cells.map((c) => `${c.table} ${c.variant} s${c.seed}`).join(", ");
}

/** Lines for a terminal: counts, then each unfinished run with the command that resumes it. */
export function pendingLines(states: readonly RunState[]): string[] {
  const count = (s: RunState["state"]) => states.filter((x) => x.state === s).length;
  const lines = [
    `[ablate] ${count("done")}/${states.length} runs done, ${count("failed")} failed, ${
      count("running")
    } running, ${count("not started")} not started`,
  ];
  for (const s of states.filter((x) => x.state !== "done")) {
    const why = s.state === "failed" ? `failed: ${s.record?.error ?? "?"}` : s.state;
    lines.push(`[ablate]   run ${s.run.index} (${cells(s.run)}) ${why}; resume: ${s.run.command}`);
  }
  return lines;
}

/** `status.md`: one row per run. */
export function statusMarkdown(cp: ClusterPlan, states: readonly RunState[]): string {
  const rows = states.map((s) => {
    const ap = s.record?.metrics ? s.record.metrics.ap.toFixed(2) : "";
    const sec = s.record ? s.record.seconds.toFixed(0) : "";
    const who = s.holder
      ? ` (${s.holder.host}:${s.holder.pid}${s.holder.task ? `, ${s.holder.task}` : ""})`
      : "";
    const cmd = s.state === "done" ? "" : `\`${s.run.command}\``;
    return `| ${s.run.index} | \`${s.run.key}\` | ${
      cells(s.run)
    } | ${s.state}${who} | ${ap} | ${sec} | ${cmd} |`;
  });
  return [
    `# Ablation runs: preset ${cp.session.preset}, ${cp.runs.length} runs`,
    "",
    `Plan: [plan.json](plan.json) (created ${cp.created}). Reports: [report.md](report.md).`,
    "",
    "| index | key | cells | state | AP | seconds | resume |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

/**
 * Write `DIR/status.md` and return the states.
 *
 * @example
 * ```ts
 * import { readClusterPlan } from "./cluster_plan.ts";
 * for (const line of pendingLines(await writeStatus(await readClusterPlan("runs/cluster")))) console.log(line);
 * ```
 */
export async function writeStatus(cp: ClusterPlan): Promise<RunState[]> {
  const states = await runStates(cp);
  await writeAtomic(`${cp.out}/status.md`, statusMarkdown(cp, states));
  return states;
}

/** The jobs that have a record (done or failed): what a session reports without training. */
export async function recordedJobs<J extends { key: string }>(out: string, jobs: readonly J[]): Promise<J[]> {
  const have: J[] = [];
  for (const j of jobs) if (await readRecord(out, j.key)) have.push(j);
  return have;
}
