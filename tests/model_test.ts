import * as tf from "@tensorflow/tfjs";
import { deepEqual, equal, ok } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { parseModelConfig } from "../lib/graph/config.ts";
import { buildModelSpec } from "../lib/models/build.ts";
import { initWeights } from "../lib/graph/init.ts";
import { decodeBranches, forwardModel, predict } from "../lib/models/model.ts";
import { summarizeModel } from "../lib/graph/summary.ts";
import { stripAuxModel } from "../lib/pgi/strip_aux.ts";
import { fuseWeights } from "../lib/graph/fuse.ts";
import { flattenTree, getPath, type Tree } from "../lib/nn/tree.ts";
import type { BatchStats } from "../lib/nn/tensor_ops.ts";
import { relMaxError } from "../lib/testing/all_close.ts";
import { gradCheck } from "../lib/testing/grad_check.ts";

// A yolov9-c-shaped model at toy width: Silence, ADown backbone, CBLinear/CBFuse reversible branch, DualDDetect.
const TINY_DUAL = `nc: 3
depth_multiple: 1.0
width_multiple: 1.0
backbone:
  - [-1, 1, Silence, []]
  - [-1, 1, Conv, [8, 3, 2]]
  - [-1, 1, RepNCSPELAN4, [8, 8, 4, 1]]
  - [-1, 1, ADown, [16]]
  - [-1, 1, RepNCSPELAN4, [16, 8, 4, 1]]
  - [-1, 1, ADown, [16]]
  - [-1, 1, RepNCSPELAN4, [16, 8, 4, 1]]
head:
  - [-1, 1, SPPELAN, [16, 8]]
  - [-1, 1, nn.Upsample, [None, 2, nearest]]
  - [[-1, 4], 1, Concat, [1]]
  - [-1, 1, RepNCSPELAN4, [16, 8, 4, 1]]
  - [-1, 1, ADown, [16]]
  - [[-1, 7], 1, Concat, [1]]
  - [-1, 1, RepNCSPELAN4, [16, 8, 4, 1]]
  - [2, 1, CBLinear, [[8]]]
  - [4, 1, CBLinear, [[8, 16]]]
  - [0, 1, Conv, [8, 3, 2]]
  - [[14, 15, -1], 1, CBFuse, [[0, 0]]]
  - [-1, 1, ADown, [16]]
  - [[15, -1], 1, CBFuse, [[1]]]
  - [-1, 1, ADown, [16]]
  - [[19, 20, 10, 13], 1, DualDDetect, [nc]]
`;

Deno.test("a dual (PGI) model runs, trains its BatchNorm statistics and strips to its main branch", async () => {
  await initBackend("wasm", { quiet: true });
  const spec = buildModelSpec(parseModelConfig(TINY_DUAL, "tiny-dual.yaml"));
  deepEqual(spec.strides, [4, 8]);
  equal(spec.branches, 2);
  const weights = initWeights(spec, { seed: 1 });
  // Head bias init: class bias ln(5 / nc / (640 / s)^2) per level, box bias 1.
  const clsBias = getPath(weights, "model.21.cv5.1.2.bias") as tf.Tensor;
  ok(Math.abs(clsBias.dataSync()[0] - Math.log(5 / 3 / (640 / 8) ** 2)) < 1e-5);
  equal((getPath(weights, "model.21.cv2.0.2.bias") as tf.Tensor).dataSync()[0], 1);

  const x = tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", 7) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const y = predict(spec, weights, x);
  deepEqual(y.shape, [2, 4 + 3, 8 * 8 + 4 * 4]);
  y.dispose();
  equal(tf.memory().numTensors, before, "predict() leaks no tensors");

  // Train mode: one batch-statistics record per BatchNorm, with the right channel counts.
  const stats = new Map<Tree<tf.Tensor>, BatchStats>();
  const heads = tf.tidy(() => {
    const r = forwardModel(spec, weights, x, { training: true, stats });
    return r.heads.flat().map((h) => tf.keep(h.clone()));
  });
  const nBn = flattenTree(weights).filter(([n]) => n.endsWith("bn.running_mean")).length;
  equal(stats.size, nBn);
  deepEqual(heads.map((h) => h.shape[3]), [67, 67, 67, 67]);
  tf.dispose(heads);

  // Gradient through the whole graph (CBFuse, ADown, Upsample, both head branches) w.r.t. the first conv.
  const first = getPath(weights, "model.1.conv.weight") as tf.Tensor;
  const probe = tf.randomNormal([2, 4 + 3, 80], 0, 1, "float32", 3);
  const f = (w: tf.Tensor): tf.Scalar => {
    const p = structuredCloneTree(weights, "model.1.conv.weight", w);
    const d = decodeBranches(spec, forwardModel(spec, p, x).heads);
    return tf.addN(d.map((t) => tf.sum(tf.mul(tf.div(t, 100), probe)))) as tf.Scalar;
  };
  const g = await gradCheck(f, [first], { samples: 4, eps: 1e-2, floor: 1e-2 });
  ok(g.maxRelError < 5e-2, JSON.stringify(g));

  // Removing the auxiliary branch keeps the main branch's outputs exactly; fusing keeps them within float error.
  const stripped = stripAuxModel(spec, weights);
  equal(stripped.spec.branches, 1);
  ok(summarizeModel(stripped.spec).params < summarizeModel(spec).params);
  const main = tf.tidy(() => decodeBranches(spec, forwardModel(spec, weights, x).heads)[1]);
  const conv = predict(stripped.spec, stripped.weights, x);
  equal(relMaxError(conv.dataSync(), main.dataSync()), 0);
  const fused = predict(stripped.spec, fuseWeights(stripped.weights), x);
  ok(relMaxError(fused.dataSync(), main.dataSync()) < 1e-5);
  tf.dispose([main, conv, fused, x, probe]);
});

function structuredCloneTree(tree: Tree<tf.Tensor>, name: string, t: tf.Tensor): Tree<tf.Tensor> {
  const out: Tree<tf.Tensor> = {};
  for (const [k, v] of Object.entries(tree)) {
    const path = name.split(".");
    if (k === path[0]) out[k] = path.length === 1 ? t : structuredCloneTree(v as Tree<tf.Tensor>, path.slice(1).join("."), t);
    else out[k] = v;
  }
  return out;
}
