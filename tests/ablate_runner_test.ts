// The ablation runner with a fake trainer: shared runs are trained once, an interrupted session resumes
// without repeating finished runs, progress names table / variant / seed / epoch with an ETA, and the
// reports put the paper's numbers beside ours with an ordering verdict per table.
import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { planSession, runAblate } from "../lib/ablate/session.ts";
import { PRESETS } from "../lib/ablate/presets.ts";
import type { Job } from "../lib/ablate/plan.ts";
import type { RunMetrics, TrainFn } from "../lib/ablate/runner.ts";
import { selectExperiments, TABLES } from "../experiments/mod.ts";

const TABLE_NAMES = TABLES.map((t) => t.name);
const paperAp = new Map(
  TABLES.flatMap((t) => t.variants.map((v) => [`${t.name}/${v.id}`, v.paper.ap ?? 0] as [string, number])),
);

/** A trainer whose AP is the paper's AP of the run's first use plus a small seed-dependent offset. */
function fakeTrain(
  calls: string[],
  opts: { failOn?: (job: Job) => boolean; abortAfter?: number } = {},
): TrainFn {
  return (job, ctx) => {
    if (opts.abortAfter !== undefined && calls.length >= opts.abortAfter) {
      return Promise.reject(new Error("interrupted"));
    }
    calls.push(job.key);
    for (let e = 0; e < job.settings.epochs; e++) ctx.onEpoch(e);
    if (opts.failOn?.(job)) return Promise.reject(new Error("boom"));
    const u = job.uses[0];
    const ap = paperAp.get(`${u.table}/${u.variant}`)! + 0.01 * (job.seed - 0.5);
    const m: RunMetrics = {
      ap,
      ap50: ap + 10,
      ap75: ap - 5,
      aps: ap - 10,
      apm: ap,
      apl: ap + 5,
      coco: [],
      map50: 0,
      map: 0,
      bestEpoch: 0,
      epochs: job.settings.epochs,
    };
    return Promise.resolve(m);
  };
}

const base = (out: string, train: TrainFn, log: string[] = []) => ({
  // Every variant, 2 seeds; 10 images at batch 64 are one step per epoch, so 2 steps = 2 epochs.
  preset: { ...PRESETS.quick, variants: "all" as const, seeds: [0, 1], steps: 2 },
  steps: 2, // given: every run's length (tables' own quick lengths do not apply)
  experiments: selectExperiments(TABLE_NAMES),
  data: { path: "fake/data.yaml", trainImages: 10 },
  out,
  train,
  log: (l: string) => log.push(l),
});

Deno.test("runAblate(): shared runs trained once; reports with paper numbers, counts and ordering verdicts", async () => {
  const out = await Deno.makeTempDir();
  const calls: string[] = [];
  const log: string[] = [];
  const res = await runAblate(base(out, fakeTrain(calls), log));
  // Every buildable variant x 2 seeds is a cell; identical configs (e.g. GELAN-C in Tables 3, 4, 5) share a run.
  const cells = TABLES.reduce((s, t) => s + t.variants.filter((v) => v.base !== null).length, 0) * 2;
  equal(res.plan.entries.length, cells);
  ok(res.plan.jobs.length < cells, `${res.plan.jobs.length} jobs for ${cells} cells`);
  equal(calls.length, res.plan.jobs.length);
  equal(new Set(calls).size, calls.length);
  const shared = res.plan.jobs.find((j) =>
    j.uses.some((u) => u.variant === "c_e2_c1") && j.uses.some((u) => u.variant === "c_gelan")
  )!;
  ok(
    shared.uses.some((u) => u.table === "table4" && u.variant === "c_base"),
    "GELAN-C is one run for Tables 3, 4, 5",
  );
  // Progress: table, variant, seed, epoch, ETA.
  ok(log.some((l) => /table2 conv seed 0: epoch 2\/2 · ETA \d/.test(l)), log.slice(0, 5).join("\n"));
  // Per-table files.
  for (const t of TABLE_NAMES) {
    for (const f of ["results.md", "results.csv", "runs.csv", "plot.svg"]) {
      ok((await Deno.stat(`${out}/${t}/${f}`)).isFile, `${t}/${f}`);
    }
  }
  const t2 = await Deno.readTextFile(`${out}/table2/results.md`);
  match(t2, /\| GELAN-S · Res \| 5\.4 \| 5\.42 ✓ \| 21\.0 \| 21\.00 ✓ \|/);
  match(t2, /\| GELAN-S · CSP \| 45\.5 \| 45\.50 ± 0\.01 \|/);
  const t3 = await Deno.readTextFile(`${out}/table3/results.md`);
  match(t3, /77\.44 ✗ \(-0\.1\)/);
  match(t3, /12\/13 rows match the paper's printed #Param\. and FLOPs/);
  const csv = (await Deno.readTextFile(`${out}/table2/results.csv`)).split("\n");
  equal(csv[0].split(",").slice(0, 4).join(","), "variant,label,group,paper_params_M");
  const runs = (await Deno.readTextFile(`${out}/table5/runs.csv`)).trim().split("\n");
  equal(runs.length, 1 + 12 * 2);
  // The fake follows the paper, so its ordering agrees wherever the paper separates variants by more than 0.01.
  const report = await Deno.readTextFile(`${out}/report.md`);
  match(
    report,
    /\[Table 2 — computational blocks in GELAN-S\]\(table2\/results\.md\) — paper ordering: \*\*holds\*\* — 6 hold, 0 reversed, 0 ties of 6 pairs the paper orders; 2 paired seeds/,
  );
  match(report, /Table 6 .* Counts: 2\/5 rows match the paper\./);
  match(report, /Auxiliary branches removed = base GELAN: 12\/12/);
  const t6 = await Deno.readTextFile(`${out}/table6/results.md`);
  match(t6, /YOLOv7's ComputeLossOTA and hyp\.scratch\.p5/);
  // The settings line: YOLOv7's departures are measured against hyp.scratch.p5's own values.
  match(
    t6,
    /- Hyperparameters: hyp\.scratch-high with .*; the anchor-based YOLOv7 trains with its own hyp\.scratch\.p5 \(ComputeLossOTA's box 0\.05, cls 0\.3, obj 0\.7, anchor_t 4\) under the same overrides: /,
  );
  match(t6, /\| YOLOv7 \| 36\.9 \| 36\.91 ✓ \| 104\.7 \| 104\.51 ✗ \(-0\.2\) \|/);
});

Deno.test("runAblate(): an interrupted session resumes without repeating finished runs; failures are recorded and retried", async () => {
  const out = await Deno.makeTempDir();
  const opts = { ...base(out, fakeTrain([])), experiments: selectExperiments(["table2"]) };
  const first: string[] = [];
  // The session stops after 3 runs (the trainer throws for the rest: recorded as failed).
  const r1 = await runAblate({ ...opts, train: fakeTrain(first, { abortAfter: 3 }) });
  equal(first.length, 3);
  equal([...r1.records.values()].filter((r) => r.status === "failed").length, r1.plan.jobs.length - 3);
  match(await Deno.readTextFile(`${out}/table2/results.md`), /## Failed runs/);
  const second: string[] = [];
  const log: string[] = [];
  const r2 = await runAblate({ ...opts, train: fakeTrain(second), log: (l) => log.push(l) });
  equal(second.length, r2.plan.jobs.length - 3);
  ok(first.every((k) => !second.includes(k)), "finished runs are not repeated");
  equal(log.filter((l) => /finished earlier, skipped/.test(l)).length, 3);
  const third: string[] = [];
  await runAblate({ ...opts, train: fakeTrain(third) });
  deepEqual(third, []);
});

Deno.test("runAblate(): a failing run does not stop the others; unknown experiment names are errors", async () => {
  const out = await Deno.makeTempDir();
  const calls: string[] = [];
  const res = await runAblate({
    ...base(out, fakeTrain(calls, { failOn: (j) => j.uses[0].variant === "res" })),
    experiments: selectExperiments(["table2"]),
  });
  const failed = [...res.records.values()].filter((r) => r.status === "failed");
  equal(failed.length, 2);
  equal(failed[0].error, "boom");
  equal(calls.length, 8);
  throws(() => selectExperiments(["table9"]), /Unknown experiment table9: expected some of table2/);
});

Deno.test("runAblate(): --jobs runs independent jobs concurrently", async () => {
  const out = await Deno.makeTempDir();
  let active = 0, peak = 0;
  const train: TrainFn = async (job) => {
    peak = Math.max(peak, ++active);
    await new Promise((r) => setTimeout(r, 5));
    active--;
    return {
      ap: job.seed,
      ap50: 0,
      ap75: 0,
      aps: 0,
      apm: 0,
      apl: 0,
      coco: [],
      map50: 0,
      map: 0,
      bestEpoch: 0,
      epochs: 1,
    };
  };
  await runAblate({ ...base(out, train), experiments: selectExperiments(["table2"]), jobs: 3 });
  equal(peak, 3);
});

Deno.test("planSession(): Fig. 7 reuses the tables' GELAN-C / YOLOv9-C runs when they end inside the warm-up, with its own 4 seeds", async () => {
  const data = { path: "fake/data.yaml", trainImages: 128, valImages: 32 };
  // 128 images at batch 64: 2 steps per epoch; 4 steps end inside the 100-iteration warm-up.
  const short = { ...PRESETS.quick, steps: 4 };
  // `steps` given: every run's length, Table 4's own quick length included.
  const quick = await planSession({
    preset: short,
    steps: 4,
    experiments: selectExperiments(["table4", "fig7"]),
    data,
  });
  // Table 4's quick pair x seeds 0, 1, 2; Fig. 7 shares those seeds and adds seed 3 of its 2 models.
  equal(quick.plan.jobs.length, 2 * 3 + 2 * 1);
  deepEqual([...new Set(quick.plan.entries.filter((e) => e.table === "fig7").map((e) => e.seed))], [
    0,
    1,
    2,
    3,
  ]);
  ok(quick.plan.entries.some((e) => e.table === "fig7" && e.variant === "yolov9_c"));
  const long = await planSession({
    preset: short,
    epochs: 100, // 100 x 2 = 200 iterations > the 128 of the warm-up
    experiments: selectExperiments(["table4", "fig7"]),
    data,
  });
  equal(long.plan.jobs.length, 2 * 3 + 2 * 4);
  equal(long.plan.jobs.filter((j) => j.uses.some((u) => u.table === "fig7"))[0].settings.epochs, 1);
});

Deno.test("quick preset: each table trains its representative pair (shared across tables), 3 seeds, the rest is 'full only'", async () => {
  const out = await Deno.makeTempDir();
  const calls: string[] = [];
  const res = await runAblate({
    ...base(out, fakeTrain(calls)),
    preset: { ...PRESETS.quick, steps: 2 },
    experiments: selectExperiments(["table2", "table3", "table4", "table5"]),
  });
  const trained = (
    t: string,
  ) => [...new Set(res.plan.entries.filter((e) => e.table === t).map((e) => e.variant))];
  for (const t of TABLES.filter((t) => ["table2", "table3", "table4", "table5"].includes(t.name))) {
    deepEqual(trained(t.name).sort(), [...t.quick!].sort());
  }
  // Table 2's CSP is Table 3's (2, 1); Table 4's GELAN-C and YOLOv9-C are Table 5's C rows: 3 + 2 models x 3 seeds.
  equal(res.plan.jobs.length, 5 * 3);
  equal(calls.length, 15);
  const t3 = await Deno.readTextFile(`${out}/table3/results.md`);
  match(t3, /\| GELAN-M · D_ELAN 2, D_CSP 1 \|.*\| full only \|/);
  match(
    t3,
    /\*\*Paper ordering \(AP\):\*\* holds — 1 hold, 0 reversed, 0 ties of 1 pair the paper orders; 3 paired seeds/,
  );
  match(
    t3,
    /\| s_e2_c3 vs s_e2_c1 \| \+1\.2 \| 1\.20 \[1\.20, 1\.20\] \| 1\.20, 1\.20, 1\.20 \| 3 \| holds \|/,
  );
  ok(
    (await Deno.stat(`${out}/table3/curves.png`)).size > 0 &&
      (await Deno.stat(`${out}/table3/curves.svg`)).size > 0,
  );
});

Deno.test("planSession(): a table's own length (Ablation.steps) sets its runs' epochs, shared runs agree, --steps / --epochs override it", async () => {
  const data = { path: "fake/data.yaml", trainImages: 16384, valImages: 256 };
  const experiments = selectExperiments(["table2", "table4", "table5", "table6"]);
  const epochsOf = (p: Awaited<ReturnType<typeof planSession>>, table: string) => [
    ...new Set(
      p.plan.entries.filter((e) => e.table === table).map((e) =>
        p.plan.jobs.find((j) => j.key === e.key)!.settings.epochs
      ),
    ),
  ];
  const own = await planSession({ preset: PRESETS.quick, experiments, data });
  const nb = 16384 / PRESETS.quick.batch;
  const t4 = TABLES.find((t) => t.name === "table4")!, t6 = TABLES.find((t) => t.name === "table6")!;
  deepEqual(epochsOf(own, "table2"), [PRESETS.quick.steps / nb]);
  deepEqual(epochsOf(own, "table4"), [t4.steps!.quick! / nb]);
  deepEqual(epochsOf(own, "table5"), [t4.steps!.quick! / nb]);
  deepEqual(epochsOf(own, "table6"), [t6.steps!.quick! / nb]);
  // Tables 4 and 5 still share GELAN-C and YOLOv9-C: 2 models x 3 seeds for both.
  equal(
    new Set(own.plan.entries.filter((e) => e.table === "table4" || e.table === "table5").map((e) => e.key))
      .size,
    6,
  );
  deepEqual(Object.keys(own.tableSettings).sort(), ["table4", "table5", "table6"]);
  for (const flag of [{ steps: 1024 }, { epochs: 4 }]) {
    const given = await planSession({ preset: PRESETS.quick, ...flag, experiments, data });
    for (const t of ["table2", "table4", "table6"]) {
      deepEqual(epochsOf(given, t), [4], `${JSON.stringify(flag)} ${t}`);
    }
    deepEqual(given.tableSettings, {});
  }
});

Deno.test("planSession(): YOLOv7's gains are part of its runs' keys only (a folder trained with other gains retrains YOLOv7 alone)", async () => {
  const data = { path: "fake/data.yaml", trainImages: 16384, valImages: 256 };
  const experiments = selectExperiments(["table2", "table6"]);
  const keys = async (yolov7Gains?: typeof PRESETS.quick.yolov7Gains) => {
    const p = await planSession({ preset: { ...PRESETS.quick, yolov7Gains }, experiments, data });
    return new Map(p.plan.entries.map((e) => [`${e.table}/${e.variant}/${e.seed}`, e.key]));
  };
  const coco = await keys(PRESETS.quick.yolov7Gains), official = await keys(undefined);
  ok(PRESETS.quick.yolov7Gains);
  for (const [cell, key] of coco) {
    const v7 = cell.startsWith("table6/yolov7/");
    equal(key !== official.get(cell), v7, cell);
  }
  equal([...coco.keys()].filter((c) => c.startsWith("table6/yolov7/")).length, 3);
});

Deno.test("--plan calibration: finished runs' wall time over their estimate scales the rest of the plan", async () => {
  const { calibration, jobSeconds, planTable } = await import("../lib/ablate/step_times.ts");
  const { formatDuration } = await import("../lib/ablate/runner.ts");
  const data = { path: "fake/data.yaml", trainImages: 1024, valImages: 64 };
  const { plan } = await planSession({ preset: PRESETS.quick, experiments: selectExperiments(["table2"]), data });
  const step = new Map(plan.jobs.map((j, i) => [j.key, 0.1 + 0.01 * i]));
  const [a, b, c, ...rest] = plan.jobs;
  // Three finished runs at 1.5x, 2x and 1.6x their estimates: median 1.6, range 1.5-2.
  const factors: [Job, number][] = [[a, 1.5], [b, 2], [c, 1.6]];
  const took = new Map(factors.map(([j, f]) => [j.key, f * jobSeconds(j, step.get(j.key)!)]));
  const cal = calibration(plan, step, took)!;
  deepEqual({ ...cal, ratio: +cal.ratio.toFixed(6) }, { ratio: 1.6, lo: 1.5, hi: 2, runs: 3 });
  equal(calibration(plan, step, new Map()), null);
  const left = new Set(rest.map((j) => j.key));
  const total = rest.reduce((s, j) => s + jobSeconds(j, step.get(j.key)!), 0);
  const text = planTable(plan, step, 2, left, cal);
  ok(text.includes(`the 3 finished run(s) here took 1.60x their estimate (median; 1.50x-2.00x`), text);
  ok(text.includes(`so about ${formatDuration(total * 1.6 / 2)} with 2 in parallel`), text);
  ok(!planTable(plan, step, 2, left).includes("Calibrated"));
});
