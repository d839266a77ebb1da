// `deno task ablate --emit slurm` against a real one-node Slurm (slurm-wlm + munge installed where
// missing, daemons on 127.0.0.1 with their configuration in a temp folder): the smoke plan of every
// table is submitted as a job array; a stale lock (dead holder) is taken over and the takeover logged;
// a run locked by a live process is not started and `--collect` lists it with its resume command; after
// the holder dies it is resumed as a one-task array. Every run's numbers equal a local smoke session's
// (same seeds, one wasm thread). Every daemon is stopped at the end.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { sh, startSlurm } from "./fixtures/slurm_one_node.ts";
import type { ClusterPlan } from "../lib/ablate/cluster_plan.ts";
import type { Job } from "../lib/ablate/plan.ts";
import type { RunRecord } from "../lib/ablate/runner.ts";
import { readSafetensors } from "../lib/io/safetensors.ts";

const root = new URL("../", import.meta.url).pathname;
const TABLES = "table2,table3,table4,table5,table6";

async function ablate(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await sh(Deno.execPath(), ["run", "-A", `${root}cli/ablate.ts`, ...args]);
  return r;
}

/** Wait (bounded) until the job has left the queue; the array tasks' states. */
async function waitJob(
  id: string,
  env: Record<string, string>,
  seconds: number,
): Promise<Map<number, string>> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const q = await sh("squeue", ["-h", "-j", id, "-o", "%i %T"], env);
    if (q.code === 0 && !q.out.trim()) break;
    if (Date.now() > end) throw new Error(`job ${id} still queued after ${seconds} s:\n${q.out}${q.err}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const s = await sh("scontrol", ["-o", "show", "job", id], env);
  const states = new Map<number, string>();
  for (const line of s.out.split("\n").filter(Boolean)) {
    const task = /ArrayTaskId=(\d+)/.exec(line)?.[1];
    const state = /JobState=(\S+)/.exec(line)?.[1];
    if (task !== undefined && state) states.set(Number(task), state);
  }
  return states;
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(path)) as T;
}

/** What a run produced: its metrics, its results.csv (per-epoch losses) and a digest of its final weights. */
interface RunOutput {
  metrics?: RunRecord["metrics"];
  csv: string;
  weights: string;
}

/** SHA-256 of every tensor of a safetensors file (names sorted; the metadata, which holds a date, left out). */
async function weightsDigest(path: string): Promise<string> {
  const { tensors } = await readSafetensors(path);
  const parts = [...tensors.keys()].sort().map((k) => {
    const t = tensors.get(k)!;
    return [
      new TextEncoder().encode(`${k}:${t.dtype}:${t.shape}`),
      new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    ];
  }).flat();
  const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) all.set(p, (o += p.length) - p.length);
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(d, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** The output of every (table, variant, seed) cell of a session folder. */
async function cellOutputs(out: string): Promise<Map<string, RunOutput>> {
  const cells = new Map<string, RunOutput>();
  for await (const e of Deno.readDir(`${out}/_runs`)) {
    const dir = `${out}/_runs/${e.name}`;
    const job = await readJson<Job>(`${dir}/job.json`);
    const rec = await readJson<RunRecord>(`${dir}/record.json`);
    const o = {
      metrics: rec.metrics,
      csv: await Deno.readTextFile(`${dir}/results.csv`),
      weights: await weightsDigest(`${dir}/weights/last.safetensors`),
    };
    for (const u of job.uses) cells.set(`${u.table}/${u.variant}/${job.seed}`, o);
  }
  return cells;
}

Deno.test({
  name: "ablate --emit slurm: a real one-node Slurm trains the smoke plan as a job array; locks; collect",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const slurm = await startSlurm();
    const work = await Deno.makeTempDir({ prefix: "ablate_slurm_" });
    let holder: Deno.ChildProcess | undefined;
    try {
      const out = `${work}/cluster`;
      const emit = await ablate([
        "--emit",
        "slurm",
        "--preset",
        "smoke",
        "--table",
        TABLES,
        "--backend",
        "wasm",
        "--out",
        out,
        "--parallel",
        "2",
        "--cpus-per-task",
        "1",
        "--time",
        "00:10:00",
      ]); // deno-fmt-ignore
      equal(emit.code, 0, emit.err);
      const cp = await readJson<ClusterPlan>(`${out}/plan.json`);
      const n = cp.runs.length;
      ok(n >= 6, `smoke plan of every table: ${n} runs`);
      const script = await Deno.readTextFile(`${out}/ablate.sbatch`);
      match(script, new RegExp(`^#SBATCH --array=0-${n - 1}%2$`, "m"));

      // Run 0: a stale lock of a dead process. Run 1: a lock of a live process (not this test's pid).
      const dead = new Deno.Command("true").spawn();
      const deadPid = dead.pid;
      await dead.status;
      const lock = (i: number) => `${out}/_runs/${cp.runs[i].key}/run.lock`;
      const lockOf = (pid: number) =>
        JSON.stringify({ host: Deno.hostname(), pid, since: new Date().toISOString() });
      await Deno.writeTextFile(lock(0), lockOf(deadPid));
      holder = new Deno.Command("sleep", { args: ["600"] }).spawn();
      const liveLock = lockOf(holder.pid);
      await Deno.writeTextFile(lock(1), liveLock);

      const env = { ...slurm.env, DENO: Deno.execPath() };
      const t0 = performance.now();
      const sub = await sh("sbatch", ["--parsable", `${out}/ablate.sbatch`], env);
      equal(sub.code, 0, sub.err);
      const id = sub.out.trim().split(";")[0];
      const states = await waitJob(id, env, 300);
      const wall = (performance.now() - t0) / 1000;
      console.log(`slurm array of ${n} smoke runs (2 at a time): ${wall.toFixed(0)} s wall`);
      const logOf = (i: number, j = id) =>
        Deno.readTextFile(`${out}/logs/${j}_${i}.err`).catch(() => "(no log)");
      for (let i = 0; i < n; i++) {
        equal(states.get(i), "COMPLETED", `task ${i}: ${await logOf(i)}\n${await slurm.logs()}`);
      }
      match(await logOf(0), /took over the stale lock of .*:\d+ .*process \d+ on .* has exited/);
      match(await Deno.readTextFile(`${lock(0)}.takeovers.log`), new RegExp(`lock of [^ ]+:${deadPid} `));
      match(await logOf(1), new RegExp(`held by a live task \\([^:]+:${holder.pid} .*not started`));
      equal(await Deno.readTextFile(lock(1)), liveLock, "the live holder's lock stays");

      // Collect: reports from what finished, run 1 listed with the command that resumes it.
      const col = await ablate(["--collect", "--out", out]);
      equal(col.code, 0, col.err);
      match(col.err, new RegExp(`${n - 1}/${n} runs done, 0 failed, 1 running, 0 not started`));
      match(
        col.err,
        new RegExp(`run 1 \\(.*\\) running; resume: deno task ablate --run-index 1 --out ${out}`),
      );
      match(await Deno.readTextFile(`${out}/status.md`), /\| 1 \| `[0-9a-f]{16}` \| .* \| running \(/);

      // The holder dies; the run is resumed as a one-task array of the same script.
      holder.kill("SIGKILL");
      await holder.status;
      holder = undefined;
      const again = await sh("sbatch", ["--parsable", "--array=1", `${out}/ablate.sbatch`], env);
      equal(again.code, 0, again.err);
      const id2 = again.out.trim().split(";")[0];
      equal((await waitJob(id2, env, 120)).get(1), "COMPLETED", await logOf(1, id2));
      match(await logOf(1, id2), /took over the stale lock/);

      const fin = await ablate(["--out", out]); // a plain session over the folder collects
      equal(fin.code, 0, fin.err);
      match(fin.err, new RegExp(`${n}/${n} runs done, 0 failed, 0 running, 0 not started`));
      ok(!/training \d+ epochs/.test(fin.err), "collect trains nothing");
      const report = await Deno.readTextFile(`${out}/report.md`);
      for (const t of TABLES.split(",")) {
        match(report, new RegExp(`\\(${t}/results\\.md\\) — paper ordering: \\*\\*`));
      }

      // The same numbers as a local smoke session (same seeds, one wasm thread per run).
      const local = `${work}/local`;
      const loc = await ablate(["--preset", "smoke", "--table", TABLES, "--backend", "wasm", "--out", local]);
      equal(loc.code, 0, loc.err);
      const [a, b] = [await cellOutputs(out), await cellOutputs(local)];
      deepEqual([...a.keys()].sort(), [...b.keys()].sort());
      for (const [cell, o] of a) {
        ok(o.metrics && Number.isFinite(o.metrics.ap), `${cell}: metrics recorded`);
        const loss = Number(o.csv.split("\n")[1].split(",")[2]);
        ok(loss > 0 && Number.isFinite(loss), `${cell}: a real training loss (${loss})`);
        deepEqual(o, b.get(cell), `${cell}: the cluster's run equals the local one`);
      }
    } finally {
      holder?.kill("SIGKILL");
      await holder?.status;
      await slurm.stop();
      await Deno.remove(work, { recursive: true }).catch(() => {});
      const left = await sh("pgrep", ["-f", slurm.dir]);
      equal(left.out.trim(), "", `daemons of ${slurm.dir} still running`);
    }
  },
});
