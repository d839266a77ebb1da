/**
 * The command lines on the webgpu backend (on CI the software fallback adapter, tiny shapes): `deno task
 * train --backend webgpu` with the single and the dual (PGI) loss writes loadable checkpoints whose
 * weights give the same predictions on webgpu and on cpu, `val` reloads them on webgpu, and `bench train`
 * reports webgpu rows with the adapter, its tensor count and GPU bytes flat over the steps.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { writeYoloDataset } from "./fixtures/yolo_files.ts";
import { tinyConfig } from "./fixtures/train_data.ts";
import { type CliResult, runCli } from "../lib/testing/run_cli.ts";
import { initBackend } from "../lib/backend/backend.ts";
import { loadModel, predict } from "../lib/models/mod.ts";
import { disposeWeights } from "../lib/graph/mod.ts";
import { relMaxError } from "../lib/testing/all_close.ts";

const tmp = await Deno.makeTempDir({ prefix: "yolo_webgpu_cli_" });

function run(script: string, args: string[]): Promise<CliResult> {
  return runCli(script, [...args, "--backend", "webgpu"], { cwd: tmp });
}

/** Predictions of a saved model on one fixed input, on `backend`. */
async function predictFile(file: string, backend: string): Promise<Float32Array> {
  await initBackend(backend, { quiet: true });
  const m = await loadModel(file);
  const x = tf.tensor4d(Float32Array.from({ length: 64 * 64 * 3 }, (_, i) => (i % 89) / 89), [1, 64, 64, 3]);
  const y = predict(m.spec, m.weights, x);
  const out = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  disposeWeights(m.weights);
  return out;
}

Deno.test("deno task train / val / bench train run on webgpu (single and dual loss), checkpoints reload", async () => {
  const yaml = await writeYoloDataset(`${tmp}/data`);
  for (const [name, dual] of [["single", false], ["dual", true]] as const) {
    const cfg = `${tmp}/tiny-${name}.yaml`;
    await Deno.writeTextFile(cfg, JSON.stringify(tinyConfig(2, dual)));
    const flags = `--epochs 1 --batch 4 --img 64 --project ${tmp}/runs --name ${name}`.split(" ");
    const tr = await run("train.ts", ["--cfg", cfg, "--data", yaml, ...flags]);
    assert.equal(tr.code, 0, tr.stderr);
    assert.match(tr.stderr.split("\n")[0], /^\[yolov9-ts\] backend webgpu \(adapter: /);
    const csv = (await Deno.readTextFile(`${tmp}/runs/${name}/results.csv`)).trim().split("\n");
    assert.equal(csv.length, 2, "one epoch row");
    const lossCols = csv[1].split(",").slice(1, 4).map(Number);
    assert.ok(lossCols.every((v) => Number.isFinite(v) && v > 0), `train losses ${lossCols}`);
    const last = `${tmp}/runs/${name}/weights/last.safetensors`;
    const gpu = await predictFile(last, "webgpu");
    const cpu = await predictFile(last, "cpu");
    assert.ok(
      relMaxError(gpu, cpu) < 2e-5,
      `${name}: reloaded checkpoint predicts ${relMaxError(gpu, cpu)} apart on webgpu and cpu`,
    );
    const va = await run(
      "val.ts",
      `--weights ${last} --data ${yaml} --img 64 --batch 4 --project ${tmp}/val --json`.split(" "),
    );
    assert.equal(va.code, 0, va.stderr);
    const metrics = JSON.parse(va.stdout.trim().split("\n").pop()!).metrics;
    assert.ok(metrics["mAP50-95"] >= 0 && metrics["mAP50-95"] <= 1, JSON.stringify(metrics));
  }
  const be = await run(
    "bench.ts",
    `train --models ${tmp}/tiny-dual.yaml --img 64 --batch 2 --runs 4 --json`.split(" "),
  );
  assert.equal(be.code, 0, be.stderr);
  const bench = JSON.parse(be.stdout.trim().split("\n").pop()!);
  assert.equal(bench.backend, "webgpu");
  assert.match(String(bench.adapter), /vendor .*architecture/);
  const row = bench.results[0];
  assert.deepEqual([row.mode, row.img, row.batch], ["train", 64, 2]);
  for (const k of ["median_s", "images_per_s", "gflops_per_s", "peak_rss_mb"]) assert.ok(row[k] > 0, k);
  // Memory flat over the steps: tensor count and GPU bytes after the last step as after the first.
  assert.equal(row.tensors[1], row.tensors[0], `tensors ${row.tensors}`);
  assert.ok(
    Array.isArray(row.gpu_bytes) && row.gpu_bytes[1] === row.gpu_bytes[0],
    `GPU bytes ${row.gpu_bytes}`,
  );
});
