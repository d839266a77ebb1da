// End to end through the real data pipeline and the command lines: a tiny YOLO-layout dataset on disk,
// `deno task train` (1 epoch), `val` on the result (table, COCO stats, JSON, plots; `--precision bf16|winograd`), `detect` on the
// images (drawn images, YOLO txt, JSON; `--precision bf16` on native) and `bench train` (JSON rows).
import assert from "node:assert/strict";
import { writeYoloDataset } from "./fixtures/yolo_files.ts";
import { type CliResult, runCli } from "../lib/testing/run_cli.ts";
import { convSupport } from "../lib/backend/native/mod.ts";

const repo = new URL("..", import.meta.url).pathname;
const tmp = await Deno.makeTempDir({ prefix: "yolo_cli_" });

function run(script: string, args: string[]): Promise<CliResult> {
  return runCli(script, [...args, "--backend", "wasm"], { cwd: tmp });
}

Deno.test("deno task train / val / detect / bench train work end to end on a tiny dataset", async () => {
  const yaml = await writeYoloDataset(`${tmp}/data`);
  const cfg = `${repo}data/models/gelan-n.yaml`;
  const tr = await run("train.ts", ["--cfg", cfg, "--data", yaml, "--epochs", "1", "--batch", "4", "--img", "64", "--project", `${tmp}/runs`, "--name", "t"]);
  assert.equal(tr.code, 0, tr.stderr);
  assert.match(tr.stderr, /Epoch\s+GPU_mem\s+box_loss\s+cls_loss\s+dfl_loss\s+Instances\s+Size/);
  assert.match(tr.stderr, /Class\s+Images\s+Instances\s+P\s+R\s+mAP50\s+mAP50-95/);
  assert.match(tr.stdout, /best epoch 0: mAP50/);
  const weights = `${tmp}/runs/t/weights/best.safetensors`;
  await Deno.stat(weights);

  const va = await run("val.ts", ["--weights", weights, "--data", yaml, "--img", "64", "--batch", "4", "--save-json", "--project", `${tmp}/val`, "--json"]);
  assert.equal(va.code, 0, va.stderr);
  const res = JSON.parse(va.stdout.trim().split("\n").pop()!);
  assert.equal(res.coco.length, 12);
  assert.ok(res.metrics.mAP50 >= 0 && res.metrics.mAP50 <= 1);
  for (const f of ["confusion_matrix.png", "best_predictions.json"]) await Deno.stat(`${res.dir}/${f}`);
  const text = await run("val.ts", ["--weights", weights, "--data", yaml, "--img", "64", "--batch", "4", "--project", `${tmp}/val`]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /Average Precision {2}\(AP\) @\[ IoU=0\.50:0\.95 \| area= {3}all \| maxDets=100 \] = /);

  // bf16 validation (fused weights, native): the same report where the CPU has native bf16, else refused.
  const vb = await runCli("val.ts", ["--weights", weights, "--data", yaml, "--img", "64", "--batch", "4", "--project", `${tmp}/val_bf16`, "--backend", "native", "--precision", "bf16"], { cwd: tmp });
  if (convSupport("bf16").native) {
    assert.equal(vb.code, 0, vb.stderr);
    assert.match(vb.stdout, /Average Precision {2}\(AP\) @\[ IoU=0\.50:0\.95 \| area= {3}all \| maxDets=100 \] = /);
  } else {
    assert.notEqual(vb.code, 0);
    assert.match(vb.stderr, /--precision bf16 needs the native backend with bf16 convolutions/);
  }

  // Winograd validation (fused weights, native): the float32 metrics of the native backend, to float32
  // tolerance where oneDNN has the kernel (AVX-512), else refused.
  const valNative = (precision: string) =>
    runCli("val.ts", ["--weights", weights, "--data", yaml, "--img", "64", "--batch", "4", "--project", `${tmp}/val_${precision}`, "--backend", "native", "--precision", precision, "--json"], { cwd: tmp });
  const [vf, vw] = [await valNative("fp32"), await valNative("winograd")];
  assert.equal(vf.code, 0, vf.stderr);
  if (convSupport("winograd").native) {
    assert.equal(vw.code, 0, vw.stderr);
    const coco = (r: CliResult) => JSON.parse(r.stdout.trim().split("\n").pop()!).coco as number[];
    const f32 = coco(vf);
    coco(vw).forEach((v, i) => assert.ok(Math.abs(v - f32[i]) < 1e-3, `COCO stat ${i}: winograd ${v}, fp32 ${f32[i]}`));
  } else {
    assert.notEqual(vw.code, 0);
    assert.match(vw.stderr, /--precision winograd needs the native backend with winograd convolutions/);
  }

  const de = await run("detect.ts", ["--weights", weights, "--source", `${tmp}/data/images/train`, "--img", "64", "--conf", "0.01", "--out", `${tmp}/det`]);
  assert.equal(de.code, 0, de.stderr);
  const recs = JSON.parse(await Deno.readTextFile(`${tmp}/det/detections.json`));
  assert.equal(recs.length, 8);
  await Deno.stat(`${tmp}/det/000000.png`);
  const lines = (await Deno.readTextFile(`${tmp}/det/labels/000000.txt`)).split("\n").filter(Boolean);
  assert.equal(lines.length, recs[0].detections.length);
  for (const l of lines) assert.equal(l.split(" ").length, 6);
  // bf16 needs native bf16 convolutions: refused by name on wasm; on native (fused weights) the same images.
  const refused = await run("detect.ts", ["--weights", weights, "--source", `${tmp}/data/images/train`, "--img", "64", "--precision", "bf16", "--out", `${tmp}/det_bf16_wasm`]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /--precision bf16 needs the native backend with bf16 convolutions: backend wasm/);
  const bf = await runCli("detect.ts", ["--weights", weights, "--source", `${tmp}/data/images/train`, "--img", "64", "--conf", "0.01", "--backend", "native", "--precision", "bf16", "--out", `${tmp}/det_bf16`], { cwd: tmp });
  if (convSupport("bf16").native) {
    assert.equal(bf.code, 0, bf.stderr);
    const bfRecs = JSON.parse(await Deno.readTextFile(`${tmp}/det_bf16/detections.json`));
    assert.deepEqual(bfRecs.map((r: { image: string }) => r.image), recs.map((r: { image: string }) => r.image));
  } else { // a CPU without AVX512_BF16 / AMX: refused, naming the kernel oneDNN would use
    assert.notEqual(bf.code, 0);
    assert.match(bf.stderr, /--precision bf16 needs the native backend with bf16 convolutions/);
  }

  const be = await run("bench.ts", ["train", "--models", cfg, "--img", "64", "--batch", "2", "--runs", "2", "--json"]);
  assert.equal(be.code, 0, be.stderr);
  const bench = JSON.parse(be.stdout.trim().split("\n").pop()!);
  assert.equal(bench.backend, "wasm");
  const row = bench.results[0];
  assert.deepEqual([row.mode, row.img, row.batch], ["train", 64, 2]);
  for (const k of ["median_s", "images_per_s", "gflops_per_s", "peak_rss_mb"]) assert.ok(row[k] > 0, k);
});
