/**
 * The Slurm batch script of an ablation plan (`DIR/ablate.sbatch`): one job array, one run per array
 * task (`#SBATCH --array=0-<N-1>%<M>`), each task `deno task ablate --run-index $SLURM_ARRAY_TASK_ID
 * --out DIR` in the project's folder, logs per task in `DIR/logs/<array job>_<task>.{out,err}`. The
 * output folder must be on a file system every node sees. Submit with `sbatch DIR/ablate.sbatch`.
 * @module
 */
import { type ClusterPlan, runCommand, shellQuote } from "./cluster_plan.ts";

/** Flags of the Slurm script. */
export interface SlurmOptions {
  /** Array tasks running at once (the `%M` of `--array`). */
  parallel: number;
  cpusPerTask: number;
  /** `--gres` (e.g. `gpu:1`). */
  gres?: string;
  /** `--time` (e.g. `04:00:00`). */
  time?: string;
  partition?: string;
  /** `--mem` (e.g. `16G`). */
  mem?: string;
  /** Folder of the project on the nodes (where `deno task` runs). */
  workdir: string;
  jobName?: string;
}

const TIME = /^(\d+-)?\d+(:\d{1,2}){0,2}$/;

/** Check the flags; errors say what was expected and what came. */
export function checkSlurmOptions(o: SlurmOptions): void {
  for (const [k, v] of [["parallel", o.parallel], ["cpus-per-task", o.cpusPerTask]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${k}: expected a positive integer, got ${v}`);
  }
  if (o.time !== undefined && !TIME.test(o.time)) {
    throw new RangeError(`--time: expected minutes, HH:MM:SS or D-HH:MM:SS, got "${o.time}"`);
  }
  for (const [k, v] of [["gres", o.gres], ["partition", o.partition], ["mem", o.mem]] as const) {
    if (v !== undefined && !/^[\w:.,=-]+$/.test(v)) {
      throw new RangeError(`--${k}: unexpected characters in "${v}"`);
    }
  }
}

/**
 * The text of `ablate.sbatch` for a plan.
 *
 * @example
 * ```ts
 * import { readClusterPlan } from "./cluster_plan.ts";
 * const cp = await readClusterPlan("runs/cluster");
 * console.log(slurmScript(cp, { parallel: 8, cpusPerTask: 8, gres: "gpu:1", time: "2-00:00:00", workdir: "." }));
 * ```
 */
export function slurmScript(cp: ClusterPlan, o: SlurmOptions): string {
  checkSlurmOptions(o);
  const n = cp.runs.length;
  if (n < 1) throw new RangeError(`the plan has no runs: nothing to submit`);
  const logs = `${cp.out}/logs`;
  const s = cp.session;
  const lines = [
    "#!/bin/bash",
    `# yolov9-ts ablation, preset ${s.preset}: ${n} runs (${cp.out}/plan.json), one per array task.`,
    `# Submit: sbatch ${shellQuote(`${cp.out}/ablate.sbatch`)}   Then: deno task ablate --collect --out ${
      shellQuote(cp.out)
    }`,
    `#SBATCH --job-name=${o.jobName ?? "yolov9-ablate"}`,
    `#SBATCH --array=0-${n - 1}%${Math.min(o.parallel, n)}`,
    "#SBATCH --ntasks=1",
    `#SBATCH --cpus-per-task=${o.cpusPerTask}`,
    ...(o.gres ? [`#SBATCH --gres=${o.gres}`] : []),
    ...(o.time ? [`#SBATCH --time=${o.time}`] : []),
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.mem ? [`#SBATCH --mem=${o.mem}`] : []),
    `#SBATCH --output=${logs}/%A_%a.out`,
    `#SBATCH --error=${logs}/%A_%a.err`,
    "set -euo pipefail",
    `cd ${shellQuote(o.workdir)}`,
    "# The run's own lock (in its folder) keeps a requeued or duplicate task from training it twice.",
    `export YOLO_ABLATE_TASK="slurm \${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}"`,
    "# The native backend uses the task's CPUs (not every core of the node).",
    `export YOLO_NATIVE_THREADS="\${YOLO_NATIVE_THREADS:-\${SLURM_CPUS_PER_TASK:-${o.cpusPerTask}}}"`,
    `# DENO overrides the deno executable (default: deno on PATH).`,
    `exec "\${DENO:-deno}" ${runCommand('"$SLURM_ARRAY_TASK_ID"', cp.out).replace(/^deno /, "")}`,
    "",
  ];
  return lines.join("\n");
}
