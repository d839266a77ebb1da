// `--preset paper`: the paper's recipe (full-size official configs, 640 px, 500 epochs, batch 128 at
// nominal batch 64, hyp.scratch-high unchanged, close-mosaic 15, --data required) and its cost in
// GPU-hours: the documented figure is reproduced for the run it documents, FLOPs scale the others,
// measured webgpu step times are used when given, and other step times are refused.
import { equal, match, ok, rejects } from "node:assert/strict";
import { getPreset } from "../lib/ablate/presets.ts";
import {
  DOCUMENTED_RUN,
  documentedBasis,
  gpuHours,
  measuredBasis,
  trainingGflops,
} from "../lib/ablate/gpu_cost.ts";
import { buildConfig, scaledConfig } from "../lib/ablate/variants.ts";
import { canonicalJson, type Job } from "../lib/ablate/plan.ts";
import { runCli } from "../lib/testing/run_cli.ts";

const root = new URL("../", import.meta.url).pathname;

async function cocoJob(model: string): Promise<Job> {
  const p = getPreset("paper");
  const cfg = scaledConfig(await buildConfig(model), p.scale);
  return {
    key: model,
    cfg,
    lhg: false,
    seed: 0,
    cost: 0,
    uses: [],
    settings: {
      data: "coco.yaml",
      epochs: p.epochs,
      batch: p.batch,
      img: p.img,
      hyp: p.hyp,
      closeMosaic: p.closeMosaic,
      nbs: p.nbs,
      noval: p.noval,
      trainImages: 118287,
      valImages: 5000,
    },
  };
}

Deno.test("--preset paper: the paper's recipe on the official configs, unchanged", async () => {
  const p = getPreset("paper");
  equal(p.img, 640);
  equal(p.epochs, 500);
  equal(p.batch, 128);
  equal(p.nbs, 64);
  equal(p.closeMosaic, 15);
  equal(Object.keys(p.hyp).length, 0, "hyp.scratch-high unchanged");
  equal(p.variants, "all");
  for (const m of ["gelan-c", "yolov9-c", "yolov9-e"]) {
    const cfg = await buildConfig(m);
    equal(canonicalJson(scaledConfig(cfg, p.scale)), canonicalJson(cfg), `${m}: full size`);
  }
});

Deno.test("GPU-hours: the documented run costs its documented hours; others scale by training FLOPs", async () => {
  const basis = await documentedBasis();
  equal(basis.kind, "documented");
  match(basis.label, /WongKinYiu\/yolov9 issue #4/);
  const [c, g] = [await cocoJob("yolov9-c"), await cocoJob("gelan-c")];
  const h = gpuHours([c, g], basis);
  ok(
    Math.abs(h.perRun[0] - DOCUMENTED_RUN.gpuHours) < 1e-6,
    `YOLOv9-C: ${h.perRun[0]} vs 480 RTX 3090 hours`,
  );
  // GELAN-C has no auxiliary branch: 102.8 of YOLOv9-C's 238.7 training GFLOPs.
  const ratio = trainingGflops(g.cfg, "g", 640) / trainingGflops(c.cfg, "c", 640);
  ok(ratio > 0.42 && ratio < 0.44, `GFLOPs ratio ${ratio}`);
  ok(Math.abs(h.perRun[1] - 480 * ratio) < 1e-6);
  ok(Math.abs(h.total - h.perRun[0] - h.perRun[1]) < 1e-9);
});

Deno.test("GPU-hours: measured webgpu step times are used; other backends are refused", async () => {
  const bench = {
    backend: "webgpu",
    results: [{ model: "gelan-c", img: 640, batch: 16, median_s: 0.8, mode: "train" }],
  };
  const basis = await measuredBasis(bench, "bench.json");
  equal(basis.kind, "measured");
  match(basis.label, /measured webgpu step times \(bench\.json: gelan-c 640px b16 800 ms/);
  const h = gpuHours([await cocoJob("gelan-c")], basis);
  const expected = (0.8 / 16) * 118287 * 500 / 3600; // 50 ms per image, 500 epochs of COCO
  ok(Math.abs(h.total - expected) < 1e-6, `${h.total} vs ${expected}`);
  await rejects(
    measuredBasis({ ...bench, backend: "native" }, "cpu.json"),
    /cpu\.json: expected step times measured on the webgpu backend, got backend "native"/,
  );
  await rejects(
    measuredBasis({ rows: [] }, "x.json"),
    /x\.json: expected the JSON of deno task bench train --json/,
  );
});

Deno.test("deno task ablate --preset paper: --data required; --plan prints GPU-hours and their basis", async () => {
  const work = await Deno.makeTempDir({ prefix: "ablate_paper_" });
  const run = async (args: string[]) => {
    const r = await runCli("ablate.ts", ["--backend", "wasm", ...args]);
    return { code: r.code, out: r.stdout, err: r.stderr };
  };
  const noData = await run(["--preset", "paper", "--plan", "--out", work]);
  equal(noData.code, 1);
  match(noData.err, /--preset paper needs --data: a COCO dataset YAML/);
  // A small YOLO dataset stands in for COCO (the plan only counts its images).
  const smoke = await run(["--preset", "smoke", "--table", "table2", "--plan", "--out", work]);
  equal(smoke.code, 0, smoke.err);
  const data = `${work}/data/mnist-det-16-8/mnist-det.yaml`;
  const plan = await run(["--preset", "paper", "--table", "fig7", "--data", data, "--plan", "--out", work]);
  equal(plan.code, 0, plan.err);
  // Fig. 7's one-epoch runs (GELAN-C, YOLOv9-C) for its 4 seeds on 16 images: 4 x 480 h x (1 + 0.43) / 500 x 16 / 118287.
  const m =
    /^8 unique runs: ([\d.e-]+) GPU-hours \(8 still to train: ([\d.e-]+)\); from documented figures/m.exec(
      plan.out,
    );
  ok(m, plan.out);
  const expected = 4 * (480 * (1 + 102.8 / 238.7) / 500) * 16 / 118287;
  ok(Math.abs(Number(m[1]) / expected - 1) < 0.01, `${m[1]} vs ${expected}`);
  await Deno.remove(work, { recursive: true });
});
