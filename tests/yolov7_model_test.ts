// The anchor-based YOLOv7: exact sizes of the official yolov7.yaml at 640, and a width/16 yolov7 with
// random weights (one RepConv with the identity branch) that reproduces the official PyTorch IDetect
// outputs (raw, decoded, fused), from
// tests/fixtures/yolov7/forward.* (written by scripts/golden_yolov7.py from github WongKinYiu/yolov7).
import * as tf from "@tensorflow/tfjs";
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { loadModelConfig } from "../lib/models/shipped.ts";
import { parseModelConfig } from "../lib/graph/config.ts";
import { buildModelSpec } from "../lib/models/build.ts";
import { modelShapes } from "../lib/graph/spec.ts";
import { countParams, summarizeModel } from "../lib/graph/summary.ts";
import { forwardModel, predict } from "../lib/models/model.ts";
import { fuseWeights } from "../lib/graph/fuse.ts";
import { weightsFromStateDict } from "../lib/graph/weights.ts";
import { disposeWeights } from "../lib/graph/weights.ts";
import { initWeights } from "../lib/graph/init.ts";
import { readSafetensors } from "../lib/io/safetensors.ts";
import { toFloat32 } from "../lib/io/raw_tensor.ts";
import { flattenTree } from "../lib/nn/tree.ts";
import { paramGroups } from "../lib/optim/param_groups.ts";
import { decodeIDetect } from "../lib/head/idetect_decode.ts";
import { relMaxError } from "../lib/testing/all_close.ts";

const FIX = new URL("./fixtures/yolov7/", import.meta.url).pathname;

Deno.test("yolov7.yaml: the official training-model and fused sizes at 640", async () => {
  const spec = buildModelSpec(await loadModelConfig("yolov7"));
  deepEqual(spec.strides, [8, 16, 32]);
  const c = summarizeModel(spec, 640);
  // models/yolo.py (torch 1.13, github WongKinYiu/yolov7 a207844) prints 37,622,682 parameters for this yaml.
  equal(c.params, 37_622_682);
  // Fused: RepConv merged, BN folded, ImplicitA/M folded into IDetect's convs. The official fuse() leaves the
  // 1,792 + 765 folded implicit parameters in the module, so it prints 36,907,898 (paper: 36.9M).
  equal(c.params_fused, 36_905_341);
  equal(c.params_fused + (256 + 512 + 1024) + 3 * 255, 36_907_898);
  // 2 x conv multiply-adds (measured on the official model with forward hooks: 105.7694 / 104.5111).
  equal(+c.gflops.toFixed(4), 105.7694);
  equal(+c.gflops_fused.toFixed(4), 104.5111);
});

Deno.test("yolov7: config errors name the row; the implicit layers train without weight decay", async () => {
  const raw = (await loadModelConfig("yolov7")).raw;
  const bad = { ...raw, anchors: [[10, 13, 16, 30]] };
  throws(() => buildModelSpec(parseModelConfig(bad, "bad.yaml")), /bad\.yaml, head row 54 .*IDetect: expected 3 anchor rows/);
  const g = paramGroups(modelShapes(buildModelSpec(parseModelConfig(raw, "yolov7.yaml"))));
  const implicit = g.names.filter((n) => n.endsWith(".implicit"));
  equal(implicit.length, 6);
  ok(implicit.every((n) => g.groups[g.names.indexOf(n)] === 2));
});

async function golden() {
  const meta = JSON.parse(await Deno.readTextFile(`${FIX}forward.json`));
  const file = await readSafetensors(`${FIX}forward.safetensors`);
  const sd = new Map([...file.tensors].filter(([k]) => k.startsWith("weights.")).map(([k, v]) => [k.slice(8), v]));
  const get = (k: string) => {
    const t = file.tensors.get(k)!;
    return tf.tensor(toFloat32(t), t.shape);
  };
  return { meta, sd, get };
}

/** Worst relative error of the boxes (rows 0..3) and of the scores (rows 4..) of two (B, 4 + nc, A) outputs. */
function decodedError(got: tf.Tensor, want: tf.Tensor): number {
  return tf.tidy(() => {
    const part = (t: tf.Tensor, from: number, n: number) => tf.slice(t, [0, from, 0], [-1, n, -1]).dataSync();
    const n = got.shape[1]! - 4;
    return Math.max(relMaxError(part(got, 0, 4), part(want, 0, 4)), relMaxError(part(got, 4, n), part(want, 4, n)));
  });
}

/** Official decoded [B, A, 5 + nc] -> the project's [B, 4 + nc, A] with obj x cls. */
function officialToProject(z: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [box, obj, cls] = tf.split(z, [4, 1, z.shape[2]! - 5], 2);
    return tf.transpose(tf.concat([box, tf.mul(cls, obj)], 2), [0, 2, 1]);
  });
}

Deno.test("yolov7 (width/16): raw, decoded and fused outputs equal the official PyTorch IDetect", async () => {
  await initBackend("wasm", { quiet: true });
  const { meta, sd, get } = await golden();
  const spec = buildModelSpec(parseModelConfig(meta.config, "yolov7-w16.yaml"));
  equal(countParams(modelShapes(spec)), meta.params);
  // Its P3 RepConv (8 -> 8 channels, stride 1) has the BatchNorm identity branch; the others do not.
  ok(sd.has("model.102.rbr_identity.running_var") && !sd.has("model.103.rbr_identity.running_var"));
  const w = weightsFromStateDict(spec, sd, { source: "forward.safetensors" });
  const x = tf.tidy(() => tf.transpose(get("input"), [0, 2, 3, 1]) as tf.Tensor4D);
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const { heads } = forwardModel(spec, w, x);
    heads[0].forEach((h, i) => {
      const e = relMaxError(h.dataSync(), get(`out.raw.${i}`).dataSync());
      ok(e < 1e-4, `raw level ${i}: ${e}`);
    });
    const want = officialToProject(get("out.decoded"));
    const got = predict(spec, w, x);
    deepEqual(got.shape, want.shape);
    ok(decodedError(got, want) < 1e-4, `decoded: ${decodedError(got, want)}`);
    const head = spec.layers[spec.layers.length - 1].args;
    const direct = decodeIDetect(heads[0], { nc: spec.nc, strides: spec.strides, anchors: head.anchors as number[][] });
    ok(decodedError(direct, got) < 1e-6);
  });
  equal(tf.memory().numTensors, before);
  const fused = fuseWeights(w);
  ok(!flattenTree(fused).some(([k]) => /rbr_dense|rbr_1x1|\.ia\.|\.im\.|\.bn\./.test(k)));
  tf.tidy(() => {
    const want = officialToProject(get("out.decoded_fused"));
    const e = decodedError(predict(spec, fused, x), want);
    ok(e < 1e-4, `fused: ${e}`);
  });
  const c = summarizeModel(spec, 64);
  equal(c.params_fused, flattenTree(fused).filter(([k]) => !/running_|num_batches/.test(k)).reduce((s, [, t]) => s + t.size, 0));
  disposeWeights(fused, w);
  disposeWeights(w);
  x.dispose();
});

Deno.test("yolov7 init: IDetect biases as _initialize_biases, implicit layers near 0 / 1, seeded", () => {
  const spec = buildModelSpec(parseModelConfig(
    JSON.parse(Deno.readTextFileSync(`${FIX}forward.json`)).config,
    "yolov7-w16.yaml",
  ));
  const a = initWeights(spec, { seed: 3 });
  const b = initWeights(spec, { seed: 3 });
  const fa = new Map(flattenTree(a)), fb = new Map(flattenTree(b));
  const h = spec.layers.length - 1;
  const bias = fa.get(`model.${h}.m.2.bias`)!.dataSync();
  const no = spec.nc + 5;
  // PyTorch's default bias is within +-1/sqrt(fan_in); the objectness prior for stride 32 is ln(8 / 400).
  const bound = 1 / Math.sqrt(64);
  for (let k = 0; k < 3; k++) {
    ok(Math.abs(bias[k * no + 4] - Math.log(8 / 400)) <= bound + 1e-6);
    ok(Math.abs(bias[k * no + 5] - Math.log(0.6 / (spec.nc - 0.99))) <= bound + 1e-6);
    ok(Math.abs(bias[k * no]) <= bound);
  }
  const im = fa.get(`model.${h}.im.0.implicit`)!;
  deepEqual(im.shape, [1, 1, 3 * no, 1]);
  const v = Array.from(im.dataSync());
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  ok(Math.abs(mean - 1) < 0.02 && v.some((x) => x !== 1));
  for (const [k, t] of fa) deepEqual(t.dataSync(), fb.get(k)!.dataSync(), k);
  disposeWeights(a);
  disposeWeights(b);
});
