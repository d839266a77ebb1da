/**
 * The library's paths on the webgpu backend (on CI the software fallback adapter, tiny shapes) against
 * the cpu backend from the same weights and batches: eval-mode predict, training steps with the dual
 * (PGI) loss including gradient accumulation (loss, items, gradient norm, parameters, momentum, EMA and
 * BatchNorm statistics), flat memory over the steps, validation (loss, detections) and detection.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { initWeights, parseModelConfig } from "../lib/graph/mod.ts";
import { buildModelSpec, predict } from "../lib/models/mod.ts";
import type { Tree } from "../lib/nn/tree.ts";
import { paramGroups } from "../lib/optim/mod.ts";
import { detectImage, validate } from "../lib/infer/mod.ts";
import {
  DEFAULT_HYP,
  initTrainState,
  NonFiniteLossError,
  releaseState,
  type StepConfig,
  type StepMetrics,
  type TrainState,
  trainStepAsync,
} from "../lib/train/mod.ts";
import { relMaxError } from "../lib/testing/all_close.ts";
import { loadBatches, syntheticDataset, syntheticLoader, tinyConfig } from "./fixtures/train_data.ts";
import { arraysOf, treeOf, type TreeValues } from "./fixtures/tree_values.ts";

const TOL = 2e-5;
const IMG = 64;
// A shallow dual-head model: deep random-init nets in train mode (BatchNorm over 2x2 maps) amplify float32
// rounding layer by layer, on any two backends; the kernels of the deep models are checked one by one
// in webgpu_kernels_test.ts.
const spec = buildModelSpec(parseModelConfig(tinyConfig(2, true), "tiny-dual"));
const ds = syntheticDataset(6, { size: IMG });

interface Run {
  metrics: StepMetrics[];
  weights: TreeValues;
  ema: TreeValues;
  momentum: Float32Array[];
  tensors: number[];
  predict: Float32Array;
  valLoss: number[];
  valTop: number[];
  detected: number[];
}

/** Three steps (the second only accumulates: accumulate = 2 after warm-up), then predict, validate, detect. */
async function run(backend: string, init: TreeValues, like: Tree<tf.Tensor>): Promise<Run> {
  await initBackend(backend, { quiet: true });
  const w = treeOf(init, like);
  const groups = paramGroups(w);
  const cfg: StepConfig = {
    spec,
    groups,
    weightDecay: 5e-4,
    schedule: { hyp: { ...DEFAULT_HYP }, epochs: 10, batch: 2, batchesPerEpoch: 3, nbs: 4 },
  };
  let state: TrainState = initTrainState(w, groups);
  const metrics: StepMetrics[] = [], tensors: number[] = [];
  const bs = await loadBatches(ds, { batch: 2, img: IMG });
  for (let i = 0; i < 3; i++) {
    const r = await trainStepAsync(state, bs[i], { epoch: 6, batch: i, ni: 1000 + i }, cfg);
    releaseState(state, r.state);
    state = r.state;
    metrics.push(r.metrics);
    tensors.push(tf.memory().numTensors);
  }
  // A non-finite loss stops the step with the state intact and nothing leaked (device finish included).
  const before = tf.memory().numTensors;
  const nan = { images: tf.fill(bs[0].images.shape, NaN) as tf.Tensor4D, targets: bs[0].targets };
  await assert.rejects(
    () => trainStepAsync(state, nan, { epoch: 6, batch: 9, ni: 1003 }, cfg),
    NonFiniteLossError,
  );
  nan.images.dispose();
  assert.equal(tf.memory().numTensors, before, `${backend}: the non-finite step leaks no tensors`);
  bs.forEach((b) => b.images.dispose());
  const base = tf.memory().numTensors;
  const x = tf.tensor4d(Float32Array.from({ length: IMG * IMG * 3 }, (_, i) => (i % 97) / 97), [
    1,
    IMG,
    IMG,
    3,
  ]);
  const y = predict(spec, state.weights, x);
  const predicted = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  const v = await validate(spec, state.weights, ds, {
    loader: syntheticLoader,
    batch: 3,
    img: IMG,
    hyp: {},
    maxDet: 30,
  });
  const top = [...v.predictions].sort((a, b) => b.score - a.score)[0];
  const s = await ds.load(0);
  const d = await detectImage(spec, state.weights, { pixels: s.pixels, width: s.width, height: s.height }, {
    img: IMG,
    conf: 0.001,
    maxDet: 5,
  });
  const out: Run = {
    metrics,
    tensors,
    predict: predicted,
    weights: await arraysOf(state.weights),
    ema: await arraysOf(state.ema.weights),
    momentum: await Promise.all(state.sgd.buffers.map(async (b) => (await b!.data()) as Float32Array)),
    valLoss: v.loss,
    valTop: [...top.bbox, top.score, top.category_id],
    detected: Array.from(d.rows.subarray(0, 6)),
  };
  assert.equal(tf.memory().numTensors, base, "predict, validate and detect leak no tensors");
  releaseState(state);
  return out;
}

Deno.test("webgpu: training steps, predict, validation and detection equal the cpu backend's", async () => {
  await initBackend("cpu", { quiet: true });
  const w0 = initWeights(spec, { seed: 0 });
  const init = await arraysOf(w0);
  const cpu = await run("cpu", init, w0);
  const gpu = await run("webgpu", init, w0);
  assert.deepEqual(gpu.metrics.map((m) => m.stepped), [true, false, true]);
  gpu.metrics.forEach((m, i) => {
    const c = cpu.metrics[i];
    assert.ok(
      relMaxError([m.loss, ...m.items], [c.loss, ...c.items]) < TOL,
      `step ${i}: loss ${m.loss} ${m.items} vs cpu ${c.loss} ${c.items}`,
    );
    if (c.gradNorm !== undefined) {
      assert.ok(
        Math.abs(m.gradNorm! - c.gradNorm) < TOL * c.gradNorm,
        `grad norm ${m.gradNorm} vs ${c.gradNorm}`,
      );
    }
  });
  for (const [which, a, b] of [["weights", gpu.weights, cpu.weights], ["ema", gpu.ema, cpu.ema]] as const) {
    for (const [k, { v }] of b) {
      assert.ok(relMaxError(a.get(k)!.v, v) < TOL, `${which} ${k}: ${relMaxError(a.get(k)!.v, v)}`);
    }
  }
  gpu.momentum.forEach((m, i) =>
    assert.ok(relMaxError(m, cpu.momentum[i]) < 1e-4, `momentum ${i}: ${relMaxError(m, cpu.momentum[i])}`)
  );
  assert.ok(relMaxError(gpu.predict, cpu.predict) < TOL, `predict ${relMaxError(gpu.predict, cpu.predict)}`);
  assert.ok(relMaxError(gpu.valLoss, cpu.valLoss) < 1e-4, `validation loss ${gpu.valLoss} vs ${cpu.valLoss}`);
  assert.ok(
    relMaxError(gpu.valTop, cpu.valTop) < 1e-4,
    `best validation detection ${gpu.valTop} vs ${cpu.valTop}`,
  );
  assert.ok(
    relMaxError(gpu.detected, cpu.detected) < 1e-4,
    `best detection ${gpu.detected} vs ${cpu.detected}`,
  );
  // Memory flat: the same tensor count after every step once the state is full (momentum from step 0).
  assert.equal(gpu.tensors[0], gpu.tensors[2]);
  assert.equal(gpu.tensors[2], cpu.tensors[2]);
});
