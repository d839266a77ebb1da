// The cluster side of `deno task ablate` without a cluster: `--emit slurm|k8s` (plan.json; the batch
// script; the Indexed Job validated against the Kubernetes schema and field by field, and its container
// command run here for one index), `--run-index` (skip, held, lock released) and bad input.
// The lock itself: tests/ablate_lock_test.ts; a real Slurm: tests/ablate_slurm_test.ts.
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { parse } from "yaml";
import { Job as K8sJob } from "kubernetes-models/batch/v1/Job";
import { runIndex } from "../lib/ablate/run_index.ts";
import { pendingLines, runStates } from "../lib/ablate/collect.ts";
import type { ClusterPlan } from "../lib/ablate/cluster_plan.ts";
import type { RunMetrics } from "../lib/ablate/runner.ts";
import { runCli } from "../lib/testing/run_cli.ts";

const root = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const dec = new TextDecoder();

async function ablate(args: string[], cwd = root): Promise<{ code: number; out: string; err: string }> {
  const r = await runCli("ablate.ts", args, { cwd });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

const holderText = (o: Record<string, unknown>) =>
  JSON.stringify({ host: Deno.hostname(), since: "2026-01-01T00:00:00.000Z", ...o });

const SMOKE = ["--preset", "smoke", "--table", "table2,table5", "--backend", "wasm"];

Deno.test("ablate --emit slurm|k8s: plan.json, the batch script, the Indexed Job; --run-index; bad input", async () => {
  const work = await Deno.makeTempDir({ prefix: "ablate_emit_" });
  const out = `${work}/runs`;
  const slurm = await ablate([
    "--emit",
    "slurm",
    ...SMOKE,
    "--out",
    out,
    "--parallel",
    "3",
    "--cpus-per-task",
    "4",
    "--gres",
    "gpu:1",
    "--time",
    "02:00:00",
    "--partition",
    "gpu",
    "--mem",
    "16G",
  ]); // deno-fmt-ignore
  equal(slurm.code, 0, slurm.err);
  const cp = JSON.parse(await Deno.readTextFile(`${out}/plan.json`)) as ClusterPlan;
  const n = cp.runs.length;
  equal(cp.out, out);
  deepEqual(cp.runs.map((r) => r.index), [...Array(n).keys()]);
  equal(new Set(cp.runs.map((r) => r.key)).size, n);
  for (const r of cp.runs) {
    match(r.key, /^[0-9a-f]{16}$/);
    equal(r.command, `deno task ablate --run-index ${r.index} --out ${out}`);
    const job = JSON.parse(await Deno.readTextFile(`${out}/_runs/${r.key}/job.json`));
    equal(job.key, r.key);
    deepEqual(r.cells, job.uses.map((u: { table: string; variant: string }) => ({ ...u, seed: job.seed })));
  }
  // Every cell of the smoke plan of both tables, exactly once.
  const cells = cp.runs.flatMap((r) => r.cells.map((c) => `${c.table}/${c.variant}/${c.seed}`));
  equal(new Set(cells).size, cells.length);
  deepEqual(cells.map((c) => c.split("/")[0]).sort(), ["table2", "table2", "table5", "table5"]);
  equal(cp.session.preset, "smoke");
  equal(cp.session.backend, "wasm");

  const sb = await Deno.readTextFile(`${out}/ablate.sbatch`);
  const directives = sb.split("\n").filter((l) => l.startsWith("#SBATCH ")).map((l) => l.slice(8));
  for (
    const d of [
      `--array=0-${n - 1}%3`,
      "--cpus-per-task=4",
      "--gres=gpu:1",
      "--time=02:00:00",
      "--partition=gpu",
      "--mem=16G",
      `--output=${out}/logs/%A_%a.out`,
      `--error=${out}/logs/%A_%a.err`,
    ] // deno-fmt-ignore
  ) ok(directives.includes(d), `${d} in ${directives}`);
  ok((await Deno.stat(`${out}/logs`)).isDirectory, "the log folder exists before submission");
  match(sb, new RegExp(`^cd ${root}$`, "m"));
  match(sb, /^export YOLO_NATIVE_THREADS="\$\{YOLO_NATIVE_THREADS:-\$\{SLURM_CPUS_PER_TASK:-4\}\}"$/m);
  match(sb, /^exec "\$\{DENO:-deno\}" task ablate --run-index "\$SLURM_ARRAY_TASK_ID" --out \S+$/m);
  equal((await new Deno.Command("bash", { args: ["-n", `${out}/ablate.sbatch`] }).output()).code, 0);

  // Kubernetes: the same plan into the same folder (accepted: plan.json unchanged), manifest beside it.
  const planText = await Deno.readTextFile(`${out}/plan.json`);
  const k8s = await ablate([
    "--emit",
    "k8s",
    ...SMOKE,
    "--out",
    out,
    "--parallel",
    "2",
    "--image",
    "ghcr.io/lab/yolov9-ts:1",
    "--pvc",
    "ablate-runs",
    "--cpus-per-task",
    "4",
    "--mem",
    "16Gi",
    "--gpus",
    "1",
    "--workdir",
    root,
    "--namespace",
    "vision",
  ]); // deno-fmt-ignore
  equal(k8s.code, 0, k8s.err);
  equal(await Deno.readTextFile(`${out}/plan.json`), planText);
  const doc = parse(await Deno.readTextFile(`${out}/ablate-job.yaml`));
  new K8sJob(doc).validate(); // the Kubernetes OpenAPI schema of batch/v1 Job
  equal(doc.apiVersion, "batch/v1");
  equal(doc.kind, "Job");
  match(doc.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  equal(doc.metadata.namespace, "vision");
  equal(doc.spec.completionMode, "Indexed");
  equal(doc.spec.completions, n);
  equal(doc.spec.parallelism, 2);
  equal(doc.spec.backoffLimitPerIndex, 2);
  const pod = doc.spec.template.spec;
  equal(pod.restartPolicy, "Never"); // required by backoffLimitPerIndex
  equal(pod.containers.length, 1);
  const c = pod.containers[0];
  equal(c.image, "ghcr.io/lab/yolov9-ts:1");
  equal(c.workingDir, root);
  deepEqual(c.resources, {
    requests: { cpu: "4", memory: "16Gi" },
    limits: { cpu: "4", memory: "16Gi", "nvidia.com/gpu": "1" },
  });
  deepEqual(c.volumeMounts, [{ name: "ablate-out", mountPath: out }]);
  deepEqual(c.env, [{ name: "YOLO_NATIVE_THREADS", value: "4" }]);
  deepEqual(pod.volumes, [{ name: "ablate-out", persistentVolumeClaim: { claimName: "ablate-runs" } }]);
  deepEqual(c.command.slice(0, 2), ["sh", "-c"]);
  // The pod's command, run here as Kubernetes runs it for index 1 (JOB_COMPLETION_INDEX set, in its
  // workingDir, deno on PATH): it trains exactly run 1.
  const bin = `${work}/bin`;
  await Deno.mkdir(bin);
  await Deno.symlink(Deno.execPath(), `${bin}/deno`);
  const pr = await new Deno.Command(c.command[0], {
    args: c.command.slice(1),
    cwd: c.workingDir,
    env: {
      JOB_COMPLETION_INDEX: "1",
      PATH: `${bin}:${Deno.env.get("PATH")}`,
      HOSTNAME: "yolov9-ablate-1-x",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(pr.code, 0, dec.decode(pr.stderr));
  match(dec.decode(pr.stderr), new RegExp(`run 1/${n} ${cp.runs[1].key} .*lock taken by`));
  const rec = JSON.parse(await Deno.readTextFile(`${out}/_runs/${cp.runs[1].key}/record.json`));
  equal(rec.status, "done");
  for (const r of cp.runs.filter((r) => r.index !== 1)) {
    await rejects(Deno.stat(`${out}/_runs/${r.key}/record.json`), Deno.errors.NotFound);
  }

  // --run-index with an injected train function: done runs are skipped, live locks respected.
  const trained: string[] = [];
  const fake = () =>
    Promise.resolve((job: { key: string }) => {
      trained.push(job.key);
      return Promise.resolve(
        {
          ap: 1,
          ap50: 2,
          ap75: 1,
          aps: 0,
          apm: 1,
          apl: 2,
          coco: [],
          map50: 0,
          map: 0,
          bestEpoch: 0,
          epochs: 1,
        } as RunMetrics,
      );
    });
  const quiet = () => {};
  equal((await runIndex({ out, index: 1, train: fake, log: quiet })).status, "skipped");
  const sleeper = new Deno.Command("sleep", { args: ["60"] }).spawn();
  try {
    await Deno.writeTextFile(`${out}/_runs/${cp.runs[0].key}/run.lock`, holderText({ pid: sleeper.pid }));
    equal((await runIndex({ out, index: 0, train: fake, log: quiet })).status, "held");
  } finally {
    sleeper.kill("SIGKILL");
    await sleeper.status;
  }
  equal((await runIndex({ out, index: 0, train: fake, log: quiet })).status, "done");
  deepEqual(trained, [cp.runs[0].key]);
  await rejects(Deno.stat(`${out}/_runs/${cp.runs[0].key}/run.lock`), Deno.errors.NotFound);
  // A failing run is recorded as failed; the state of every run, with the command that resumes it.
  const boom = () => Promise.resolve(() => Promise.reject(new Error("boom")));
  equal((await runIndex({ out, index: 2, train: boom, log: quiet })).status, "failed");
  const states = await runStates(cp);
  deepEqual(states.map((s) => s.state), ["done", "done", "failed", ...Array(n - 3).fill("not started")]);
  const lines = pendingLines(states);
  equal(lines[0], `[ablate] 2/${n} runs done, 1 failed, 0 running, ${n - 3} not started`);
  match(
    lines[1],
    new RegExp(`run 2 \\(.*\\) failed: boom; resume: deno task ablate --run-index 2 --out ${out}$`),
  );
  equal(lines.length, 1 + n - 2);

  // Bad input: clear errors, nothing overwritten.
  const before = await Promise.all(
    ["plan.json", "ablate.sbatch", "ablate-job.yaml"].map((f) => Deno.readTextFile(`${out}/${f}`)),
  );
  const bad: [string[], RegExp][] = [
    [
      ["--emit", "pbs", ...SMOKE, "--out", `${work}/pbs`],
      /--emit: unknown scheduler "pbs": expected one of slurm, k8s/,
    ],
    [
      ["--run-index", String(n), "--out", out],
      new RegExp(`--run-index ${n} is out of range: .*plan\\.json has ${n} runs \\(0\\.\\.${n - 1}\\)`),
    ],
    [["--run-index=-1", "--out", out], /--run-index: expected a non-negative integer, got "-1"/],
    [
      ["--emit", "slurm", ...SMOKE, "--seeds", "2", "--out", out],
      /plan\.json holds another plan \(first difference: session\.seeds\.1: undefined vs 1\); nothing was overwritten/,
    ],
    [
      ["--emit", "k8s", ...SMOKE, "--pvc", "x", "--out", `${work}/k`],
      /--image: the container image holding this project is required/,
    ],
    [
      ["--preset", "quick", "--out", out],
      /plan\.json holds an emitted plan \(preset smoke\): --preset would make another/,
    ],
    [["--run-index", "0", "--out", `${work}/none`], /plan\.json not found: emit a plan first/],
  ]; // deno-fmt-ignore
  for (const [args, msg] of bad) {
    const r = await ablate(args);
    equal(r.code, 1, args.join(" "));
    match(r.err, msg);
  }
  await rejects(Deno.stat(`${work}/pbs`), Deno.errors.NotFound);
  await rejects(Deno.stat(`${work}/k/plan.json`), Deno.errors.NotFound);
  const after = await Promise.all(
    ["plan.json", "ablate.sbatch", "ablate-job.yaml"].map((f) => Deno.readTextFile(`${out}/${f}`)),
  );
  deepEqual(after, before);
  await Deno.remove(work, { recursive: true });
});
