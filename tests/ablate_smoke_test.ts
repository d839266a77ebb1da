// `deno task ablate --preset smoke` end to end with real training (tiny MNIST-Det, 1 epoch, 2 variants
// per table) and both figures, then a resumed session that trains nothing again.
import { equal, match, ok } from "node:assert/strict";
import { runCli } from "../lib/testing/run_cli.ts";


async function ablate(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runCli("ablate.ts", args);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

Deno.test("deno task ablate --preset smoke: every table and figure, real training, report; a rerun resumes", async () => {
  const out = await Deno.makeTempDir({ prefix: "ablate_smoke_" });
  const t0 = performance.now();
  const first = await ablate(["--preset", "smoke", "--out", out, "--backend", "wasm"]);
  equal(first.code, 0, first.err.slice(-2000));
  const report = await Deno.readTextFile(`${out}/report.md`);
  for (const t of ["table2", "table3", "table4", "table5", "table6"]) {
    match(
      report,
      new RegExp(`\\(${t}/results\\.md\\) — paper ordering: \\*\\*(holds|reversed|mixed|tie|untested)\\*\\*`),
      t,
    );
    const md = await Deno.readTextFile(`${out}/${t}/results.md`);
    match(md, /## Accuracy: paper \(COCO\) and ours/);
    ok(!/pending|failed\b/.test(md.split("## Ordering")[0]), `${t}: every smoke run finished`);
  }
  match(
    await Deno.readTextFile(`${out}/table2/results.md`),
    /\| GELAN-S · CSP \| 45\.5 \| \d+\.\d\d \(1 seed\) \|/,
  );
  match(report, /\[Fig\. 2 \/ Fig\. 6 .*\]\(fig2_6\/results\.md\) — done: information depth \(r2 < 0\.5\): /);
  match(report, /\[Fig\. 7 .*\]\(fig7\/results\.md\) — done: BN running: focus ratio .* BN batch: focus ratio/);
  ok((await Deno.stat(`${out}/fig7/fig7_pan_maps.png`)).size > 0);
  // The preset's YOLOv7 gains: the anchor-based run's hyp.yaml has cls / obj undoing train.py's rescaling
  // for MNIST-Det's 10 classes at 32 px; the anchor-free runs keep hyp.scratch-high's.
  const hyps = [];
  for await (const e of Deno.readDir(`${out}/_runs`)) {
    const job = JSON.parse(await Deno.readTextFile(`${out}/_runs/${e.name}/job.json`));
    const hyp = await Deno.readTextFile(`${out}/_runs/${e.name}/hyp.yaml`).catch(() => "");
    if (hyp) hyps.push({ v7: JSON.stringify(job).includes("IDetect"), hyp });
  }
  ok(hyps.some((h) => h.v7) && hyps.some((h) => !h.v7));
  for (const h of hyps) {
    match(h.hyp, h.v7 ? /^cls: 2\.4$/m : /^cls: 0\.5$/m);
    match(h.hyp, h.v7 ? /^obj: 280$/m : /^obj: 0\.7$/m);
  }
  // Progress names table, variant, seed, epoch and the ETA.
  match(first.err, /\[ablate\] \[\d+\/\d+\] table2 conv seed 0: epoch 1\/1 · ETA/);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`smoke preset: ${seconds.toFixed(0)} s wall`);
  // Resume: nothing is trained again.
  const second = await ablate([
    "--preset",
    "smoke",
    "--out",
    out,
    "--backend",
    "wasm",
    "--table",
    "table2,table5",
  ]);
  equal(second.code, 0, second.err.slice(-2000));
  equal((second.err.match(/finished earlier, skipped/g) ?? []).length, 4);
  ok(!/training \d+ epochs/.test(second.err), "no run trained again");
});

Deno.test("deno task ablate --jobs 2: every run process trains with its share of the cores, a fixed thread count", async () => {
  const out = await Deno.makeTempDir({ prefix: "ablate_jobs_" });
  const args = ["--preset", "smoke", "--table", "table2", "--jobs", "2", "--backend", "native"];
  const r = await ablate([...args, "--out", out]);
  equal(r.code, 0, r.err.slice(-2000));
  const share = Math.max(1, Math.floor(navigator.hardwareConcurrency / 2));
  const computes: string[] = [];
  for await (const e of Deno.readDir(`${out}/_runs`)) {
    const rec = JSON.parse(await Deno.readTextFile(`${out}/_runs/${e.name}/record.json`));
    equal(rec.status, "done");
    computes.push(rec.metrics.compute);
  }
  equal(computes.length, 2);
  for (const c of computes) match(c, new RegExp(`^native \\(oneDNN [\\d.]+, ${share} threads?\\)$`));
});
