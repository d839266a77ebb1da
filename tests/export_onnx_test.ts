// ONNX export checked by onnxruntime (npm onnxruntime-node, installed without its download script: its CPU
// binary ships in the package): the exported graph's outputs equal our own forward within 1e-4 relative, for a
// GELAN and a YOLOv9 (PGI, auxiliary branch removed) config, fixed and dynamic axes, with and without NMS.
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { loadModelConfig } from "../lib/models/shipped.ts";
import { buildModelSpec } from "../lib/models/build.ts";
import type { ModelSpec } from "../lib/graph/spec.ts";
import { predict } from "../lib/models/model.ts";
import { disposeWeights } from "../lib/graph/weights.ts";
import { nonMaxSuppression } from "../lib/eval/nms.ts";
import { decodeImage } from "../lib/data/image_io.ts";
import { letterbox } from "../lib/data/letterbox.ts";
import { relMaxError } from "../lib/testing/all_close.ts";
import { randomModelWeights } from "../lib/testing/random_model.ts";
import { inferenceModel } from "../lib/export/inference.ts";
import { exportOnnx } from "../lib/export/onnx_model.ts";
import { exportModel } from "../lib/export/export.ts";
import type { Tree } from "../lib/nn/tree.ts";

const repo = new URL("../", import.meta.url).pathname;
const CONFIGS = ["gelan-n", "yolov9-n"];

async function model(name: string): Promise<{ spec: ModelSpec; weights: Tree<tf.Tensor> }> {
  const spec = buildModelSpec(await loadModelConfig(`${repo}data/models/${name}.yaml`));
  // Class biases near 0: scores spread around 0.5, so the NMS keeps boxes.
  return { spec, weights: randomModelWeights(spec, { seed: 3, clsBias: 0 }) };
}

async function run(bytes: Uint8Array, x: tf.Tensor4D): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = await ort.InferenceSession.create(bytes);
  const nchw = tf.tidy(() => tf.transpose(x, [0, 3, 1, 2]));
  const out = await session.run({
    images: new ort.Tensor("float32", nchw.dataSync() as Float32Array, nchw.shape),
  });
  nchw.dispose();
  await session.release();
  return out;
}

/** Rows [lo, hi) of a (N, C, A) array, flattened. */
function rows(data: ArrayLike<number>, [n, c, a]: number[], lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let r = lo; r < hi; r++) for (let k = 0; k < a; k++) out.push(data[(i * c + r) * a + k]);
  }
  return out;
}

function assertSamePrediction(got: ort.Tensor, want: tf.Tensor3D, what: string): void {
  deepEqual([...got.dims], want.shape, `${what}: output0 shape`);
  const a = got.data as Float32Array;
  const b = want.dataSync();
  const c = want.shape[1];
  const box = relMaxError(rows(a, want.shape, 0, 4), rows(b, want.shape, 0, 4));
  const cls = relMaxError(rows(a, want.shape, 4, c), rows(b, want.shape, 4, c));
  console.log(`${what}: relative error boxes ${box.toExponential(1)}, scores ${cls.toExponential(1)}`);
  ok(box < 1e-4 && cls < 1e-4, `${what}: relative error boxes ${box}, scores ${cls}`);
}

async function realImage(size: number): Promise<tf.Tensor4D> {
  const img = await decodeImage(`${repo}data/images/chelsea.png`);
  const lb = letterbox(img, [size, size], { auto: true, stride: 32 }).image;
  return tf.tidy(() =>
    tf.div(tf.tensor4d(lb.pixels, [1, lb.height, lb.width, 3], "int32").toFloat(), 255) as tf.Tensor4D
  );
}

Deno.test("ONNX output0 equals our forward (fixed and dynamic axes, random and real images)", async () => {
  await initBackend("wasm", { quiet: true });
  const real = await realImage(192); // 128 x 192 after letterboxing
  for (const name of CONFIGS) {
    const { spec, weights } = await model(name);
    const inf = inferenceModel(spec, weights, { fused: false, fuse: true });
    equal(inf.stripped, spec.branches > 1);
    const fixed = exportOnnx(inf.spec, inf.weights, { img: [64, 64], batch: 2 });
    const dynamic = exportOnnx(inf.spec, inf.weights, { img: [64, 64], dynamic: true });
    const random = tf.randomUniform([2, 64, 64, 3], 0, 1, "float32", 5) as tf.Tensor4D;
    const wide = tf.randomUniform([3, 96, 128, 3], 0, 1, "float32", 6) as tf.Tensor4D;
    for (
      const [bytes, x, what] of [[fixed, random, "fixed 2x64x64"], [dynamic, wide, "dynamic 3x96x128"], [
        dynamic,
        real,
        "dynamic chelsea",
      ]] as const
    ) {
      const want = predict(spec, weights, x); // our forward of the unfused training model's main branch
      assertSamePrediction((await run(bytes, x)).output0, want, `${name} ${what}`);
      want.dispose();
    }
    // A fixed-size graph refuses another size.
    let refused = false;
    await run(fixed, wide).catch(() => (refused = true));
    ok(refused, "a fixed 2x64x64 graph must reject a 3x96x128 input");
    tf.dispose([random, wide]);
    disposeWeights(inf.weights, weights);
    disposeWeights(weights);
  }
  real.dispose();
});

Deno.test("ONNX --nms: End2End outputs equal our non_max_suppression (counts, boxes, scores, classes)", async () => {
  await initBackend("wasm", { quiet: true });
  const real = await realImage(192); // 128 x 192
  for (const name of CONFIGS) {
    const { spec, weights } = await model(name);
    const inf = inferenceModel(spec, weights, { fused: false, fuse: true });
    const nms = { conf: 0.3, iou: 0.45, maxDet: 12 };
    const bytes = exportOnnx(inf.spec, inf.weights, { img: [64, 64], dynamic: true, nms });
    const random = tf.randomUniform([2, 96, 64, 3], 0, 1, "float32", 7) as tf.Tensor4D;
    for (const [x, what] of [[random, "random"], [real, "chelsea"]] as const) {
      const out = await run(bytes, x);
      const pred = predict(spec, weights, x);
      const want = nonMaxSuppression(pred, { confThres: nms.conf, iouThres: nms.iou, maxDet: nms.maxDet });
      pred.dispose();
      const n = x.shape[0];
      deepEqual([...out.num_dets.dims], [n, 1]);
      deepEqual([...out.det_boxes.dims], [n, nms.maxDet, 4]);
      deepEqual([...out.det_scores.dims], [n, nms.maxDet]);
      deepEqual([...out.det_classes.dims], [n, nms.maxDet]);
      equal(out.num_dets.type, "int32");
      equal(out.det_classes.type, "int32");
      const counts = [...(out.num_dets.data as Int32Array)];
      deepEqual(counts, want.map((d) => d.n), `${name} ${what}: detections per image`);
      ok(counts.some((c) => c > 0), `${name} ${what}: the test needs detections`);
      console.log(`${name} ${what}: detections per image ${counts} (ours ${want.map((d) => d.n)})`);
      const boxes = out.det_boxes.data as Float32Array;
      const scores = out.det_scores.data as Float32Array;
      const classes = out.det_classes.data as Int32Array;
      want.forEach((d, b) => {
        const at = (i: number) => b * nms.maxDet + i;
        for (let i = d.n; i < nms.maxDet; i++) {
          // Rows past num_dets are zero.
          ok(
            scores[at(i)] === 0 && classes[at(i)] === 0 &&
              boxes.subarray(4 * at(i), 4 * at(i) + 4).every((v) => v === 0),
          );
        }
        // Rows in score order; rows of exactly equal scores (grey letterbox padding) may come in either order,
        // so each of ours is paired with the closest unused row of the same class.
        const used = new Set<number>();
        const gotBoxes: number[] = [],
          wantBoxes: number[] = [],
          gotScores: number[] = [],
          wantScores: number[] = [];
        for (let i = 0; i < d.n; i++) {
          const wantBox = [...d.rows.subarray(6 * i, 6 * i + 4)];
          let best = -1, bestErr = Infinity;
          for (let j = 0; j < d.n; j++) {
            if (used.has(j) || classes[at(j)] !== d.rows[6 * i + 5]) continue;
            const err = Math.abs(scores[at(j)] - d.rows[6 * i + 4]) +
              relMaxError(boxes.subarray(4 * at(j), 4 * at(j) + 4), wantBox);
            if (err < bestErr) [best, bestErr] = [j, err];
          }
          ok(best >= 0, `${name} ${what}: image ${b} row ${i} (class ${d.rows[6 * i + 5]}) has no match`);
          used.add(best);
          gotBoxes.push(...boxes.subarray(4 * at(best), 4 * at(best) + 4));
          wantBoxes.push(...wantBox);
          gotScores.push(scores[at(best)]);
          wantScores.push(d.rows[6 * i + 4]);
        }
        ok(
          relMaxError(gotBoxes, wantBoxes) < 1e-4,
          `${name} ${what}: boxes ${relMaxError(gotBoxes, wantBoxes)}`,
        );
        ok(
          relMaxError(gotScores, wantScores) < 1e-4,
          `${name} ${what}: scores ${relMaxError(gotScores, wantScores)}`,
        );
      });
    }
    random.dispose();
    disposeWeights(inf.weights, weights);
    disposeWeights(weights);
  }
  real.dispose();
});

Deno.test("ONNX --nms with nothing above the threshold: zero counts and all-zero rows", async () => {
  await initBackend("wasm", { quiet: true });
  const { spec, weights } = await model("gelan-n");
  const inf = inferenceModel(spec, weights, { fused: false, fuse: true });
  const bytes = exportOnnx(inf.spec, inf.weights, {
    img: [64, 64],
    batch: 2,
    nms: { conf: 0.999, iou: 0.45, maxDet: 5 },
  });
  const x = tf.randomUniform([2, 64, 64, 3], 0, 1, "float32", 8) as tf.Tensor4D;
  const out = await run(bytes, x);
  deepEqual([...(out.num_dets.data as Int32Array)], [0, 0]);
  ok(
    (out.det_boxes.data as Float32Array).every((v) => v === 0) &&
      (out.det_scores.data as Float32Array).every((v) => v === 0),
  );
  deepEqual([...out.det_classes.dims], [2, 5]);
  x.dispose();
  disposeWeights(inf.weights, weights);
  disposeWeights(weights);
});

Deno.test("ONNX export refuses unfused, multi-branch weights and bad sizes", async () => {
  await initBackend("wasm", { quiet: true });
  const { spec, weights } = await model("yolov9-n");
  throws(() => exportOnnx(spec, weights, { img: [64, 64] }), /2 head branches; remove the auxiliary branch/);
  throws(() => exportModel({ spec, weights, fused: false }, { format: "onnx", keepAux: true }), /--keep-aux/);
  const stripped = inferenceModel(spec, weights, { fused: false, fuse: false });
  throws(() => exportOnnx(stripped.spec, stripped.weights, { img: [64, 64] }), /expected fused weights/);
  const fused = inferenceModel(spec, weights, { fused: false, fuse: true });
  throws(() => exportOnnx(fused.spec, fused.weights, { img: [64, 50] }), /multiple of the stride 32/);
  throws(
    () => exportOnnx(fused.spec, fused.weights, { img: [64, 64], nms: { conf: 2, iou: 0.5, maxDet: 10 } }),
    /--conf/,
  );
  disposeWeights(fused.weights, weights);
  disposeWeights(weights);
});
