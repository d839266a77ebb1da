// `deno task export` end to end: ONNX with NMS and dynamic axes run by onnxruntime, fused safetensors loaded back,
// and bad input (unknown format, weights that do not fit the config, an unwritable output): a clear error and no file.
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import { deepEqual, equal, ok } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { loadModelConfig } from "../lib/models/shipped.ts";
import { buildModelSpec } from "../lib/models/build.ts";
import { loadModel, saveModel } from "../lib/models/load.ts";
import { predict } from "../lib/models/model.ts";
import { disposeWeights } from "../lib/graph/weights.ts";
import { nonMaxSuppression } from "../lib/eval/nms.ts";
import { relMaxError } from "../lib/testing/all_close.ts";
import { randomModelWeights } from "../lib/testing/random_model.ts";
import { runCli } from "../lib/testing/run_cli.ts";

const repo = new URL("../", import.meta.url).pathname;

/** Run `cli/export.ts` with space-separated arguments (the temp paths have no spaces). */
async function exportCli(argLine: string): Promise<{ code: number; out: string }> {
  const r = await runCli("export.ts", ["--backend", "wasm", ...argLine.split(" ")]);
  return { code: r.code, out: r.stdout + r.stderr };
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("deno task export: onnx --nms --dynamic and safetensors --fuse from a PGI model file", async () => {
  await initBackend("wasm", { quiet: true });
  const dir = await Deno.makeTempDir({ prefix: "export_cli_" });
  const spec = buildModelSpec(await loadModelConfig(`${repo}data/models/yolov9-n.yaml`));
  const weights = randomModelWeights(spec, { seed: 9, clsBias: 0 });
  await saveModel(`${dir}/yolov9-n.safetensors`, spec, weights);

  const onnx = await exportCli(
    `--weights ${dir}/yolov9-n.safetensors --format onnx --img 64 --nms --dynamic --conf 0.3 --max-det 20 --out ${dir}/m.onnx`,
  );
  equal(onnx.code, 0, onnx.out);
  ok(/removed the auxiliary branch: yolov9-n -> gelan-n/.test(onnx.out), onnx.out);
  const session = await ort.InferenceSession.create(`${dir}/m.onnx`);
  deepEqual(session.inputNames, ["images"]);
  deepEqual(session.outputNames, ["num_dets", "det_boxes", "det_scores", "det_classes"]);
  const x = tf.randomUniform([1, 96, 64, 3], 0, 1, "float32", 4) as tf.Tensor4D;
  const nchw = tf.transpose(x, [0, 3, 1, 2]);
  const out = await session.run({
    images: new ort.Tensor("float32", nchw.dataSync() as Float32Array, nchw.shape),
  });
  await session.release();
  const pred = predict(spec, weights, x);
  const [want] = nonMaxSuppression(pred, { confThres: 0.3, iouThres: 0.45, maxDet: 20 });
  ok(want.n > 0);
  equal((out.num_dets.data as Int32Array)[0], want.n);
  const scores = [...(out.det_scores.data as Float32Array).subarray(0, want.n)];
  ok(relMaxError(scores, Array.from({ length: want.n }, (_, i) => want.rows[6 * i + 4])) < 1e-4);

  const st = await exportCli(
    `--weights ${dir}/yolov9-n.safetensors --format safetensors --fuse --out ${dir}/f.safetensors`,
  );
  equal(st.code, 0, st.out);
  const fused = await loadModel(`${dir}/f.safetensors`);
  ok(fused.fused);
  equal(fused.spec.branches, 1);
  const y = predict(fused.spec, fused.weights, x);
  ok(relMaxError(y.dataSync(), pred.dataSync()) < 1e-4);
  tf.dispose([x, nchw, pred, y]);
  disposeWeights(fused.weights);
  disposeWeights(weights);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno task export: unknown format, mismatched weights and unwritable outputs fail clearly and write nothing", async () => {
  await initBackend("wasm", { quiet: true });
  const dir = await Deno.makeTempDir({ prefix: "export_bad_" });
  const spec = buildModelSpec(await loadModelConfig(`${repo}data/models/gelan-n.yaml`));
  const weights = randomModelWeights(spec, { seed: 1 });
  await saveModel(`${dir}/gelan-n.safetensors`, spec, weights);
  disposeWeights(weights);
  const w = `${dir}/gelan-n.safetensors`;

  const unknown = await exportCli(`--weights ${w} --format tflite --out ${dir}/x.tflite`);
  equal(unknown.code, 1);
  ok(/unknown --format "tflite", expected onnx, pt, safetensors/.test(unknown.out), unknown.out);

  // gelan-n weights against gelan-t's config: the error names mis-shaped keys (the first one first).
  const mismatch = await exportCli(`--weights ${w} --cfg gelan-t --format onnx --out ${dir}/x.onnx`);
  equal(mismatch.code, 1);
  ok(/Cannot load weights .*gelan-n\.safetensors into gelan-t/.test(mismatch.out), mismatch.out);
  ok(
    /wrong shape \(\d+\): model\.0\.conv\.weight: expected \[16,3,3,3\], got \[8,3,3,3\]/.test(mismatch.out),
    mismatch.out,
  );

  const noDir = await exportCli(`--weights ${w} --format onnx --img 64 --out ${dir}/missing/x.onnx`);
  equal(noDir.code, 1);
  ok(/Cannot write .*missing\/x\.onnx: .*\(nothing was written\)/.test(noDir.out), noDir.out);
  // An output path that is a folder: the rename fails, the temp file is removed.
  await Deno.mkdir(`${dir}/taken.onnx/inner`, { recursive: true });
  const isDir = await exportCli(`--weights ${w} --format onnx --img 64 --out ${dir}/taken.onnx`);
  equal(isDir.code, 1);
  ok(/Cannot write .*taken\.onnx/.test(isDir.out), isDir.out);
  deepEqual(await files(dir), ["gelan-n.safetensors", "taken.onnx"]);
  deepEqual(await files(`${dir}/taken.onnx`), ["inner"]);
  await Deno.remove(dir, { recursive: true });
});
