/**
 * The anchor-based YOLOv7 (IDetect, ComputeLossOTA) trained on the webgpu backend (on CI the software
 * fallback adapter, tiny shapes) against the cpu backend from the same weights and batches: the OTA
 * assignment is read with await before the differentiated pass, which reads nothing. A shallow YOLOv7
 * for three steps with gradient accumulation (loss, items, gradient norm, parameters, EMA, BatchNorm
 * statistics, flat memory) and validation; the official yolov7.yaml at width 1/16 for one step (its
 * depth amplifies float32 rounding in train-mode BatchNorm on any two backends: cpu and wasm part after
 * two steps, so later steps are not compared).
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { initWeights, parseModelConfig } from "../lib/graph/mod.ts";
import { disposeWeights } from "../lib/graph/weights.ts";
import { buildModelSpec } from "../lib/models/mod.ts";
import type { ModelSpec } from "../lib/graph/spec.ts";
import { loadModelConfig } from "../lib/models/shipped.ts";
import type { Tree } from "../lib/nn/tree.ts";
import { paramGroups } from "../lib/optim/mod.ts";
import { validate } from "../lib/infer/mod.ts";
import { HYP_SCRATCH_P5 } from "../lib/data/hyp.ts";
import { initTrainState, releaseState, type StepConfig, type StepMetrics, type TrainState, trainStepAsync } from "../lib/train/mod.ts";
import { relMaxError } from "../lib/testing/all_close.ts";
import { loadBatches, syntheticDataset, syntheticLoader, TINY_YOLOV7 } from "./fixtures/train_data.ts";
import { arraysOf, treeOf, type TreeValues } from "./fixtures/tree_values.ts";

const TOL = 2e-5;
const IMG = 64;
const ds = syntheticDataset(6, { size: IMG });
interface Run {
  metrics: StepMetrics[];
  tensors: number[];
  weights: TreeValues;
  ema: TreeValues;
  valLoss: number[];
}

/** `steps` training steps (accumulate = 2 after warm-up: the second only accumulates), then validation. */
async function run(backend: string, spec: ModelSpec, init: TreeValues, like: Tree<tf.Tensor>, steps: number, val: boolean): Promise<Run> {
  await initBackend(backend, { quiet: true });
  const w = treeOf(init, like);
  const groups = paramGroups(w);
  const cfg: StepConfig = {
    spec, groups, weightDecay: 5e-4, schedule: { hyp: { ...HYP_SCRATCH_P5 }, epochs: 10, batch: 2, batchesPerEpoch: 3, nbs: 4 },
  };
  let state: TrainState = initTrainState(w, groups);
  const metrics: StepMetrics[] = [], tensors: number[] = [];
  const bs = await loadBatches(ds, { batch: 2, img: IMG });
  for (let i = 0; i < steps; i++) {
    const r = await trainStepAsync(state, bs[i], { epoch: 6, batch: i, ni: 1000 + i }, cfg);
    releaseState(state, r.state);
    state = r.state;
    metrics.push(r.metrics);
    tensors.push(tf.memory().numTensors);
  }
  bs.forEach((b) => b.images.dispose());
  const valLoss = val ? (await validate(spec, state.weights, ds, { loader: syntheticLoader, batch: 3, img: IMG, hyp: HYP_SCRATCH_P5, maxDet: 30 })).loss : [];
  const out = { metrics, tensors, weights: await arraysOf(state.weights), ema: await arraysOf(state.ema.weights), valLoss };
  releaseState(state);
  return out;
}

async function both(spec: ModelSpec, steps: number, val: boolean): Promise<{ cpu: Run; gpu: Run }> {
  await initBackend("cpu", { quiet: true });
  const w0 = initWeights(spec, { seed: 0 });
  const init = await arraysOf(w0);
  const cpu = await run("cpu", spec, init, w0, steps, val);
  const gpu = await run("webgpu", spec, init, w0, steps, val);
  disposeWeights(w0);
  return { cpu, gpu };
}

function assertSameSteps(gpu: Run, cpu: Run, tol: number, normTol: number): void {
  gpu.metrics.forEach((m, i) => {
    const c = cpu.metrics[i];
    assert.equal(m.stepped, c.stepped);
    assert.ok(relMaxError([m.loss, ...m.items], [c.loss, ...c.items]) < tol, `step ${i}: loss ${m.loss} ${m.items} vs cpu ${c.loss} ${c.items}`);
    if (c.gradNorm !== undefined) assert.ok(Math.abs(m.gradNorm! - c.gradNorm) < normTol * c.gradNorm, `step ${i}: grad norm ${m.gradNorm} vs ${c.gradNorm}`);
  });
}

Deno.test("webgpu: YOLOv7 (IDetect, ComputeLossOTA) training steps and validation equal the cpu backend's", async () => {
  const spec = buildModelSpec(parseModelConfig(TINY_YOLOV7, "tiny-yolov7.yaml"));
  const { cpu, gpu } = await both(spec, 3, true);
  assert.deepEqual(gpu.metrics.map((m) => m.stepped), [true, false, true]);
  assert.ok(cpu.metrics.every((m) => m.items.every((v) => v > 0)), "box, cls and obj losses all positive");
  assertSameSteps(gpu, cpu, TOL, TOL);
  // Weights (parameters and BatchNorm statistics, the identity branch's included) and EMA.
  for (const [which, a, b] of [["weights", gpu.weights, cpu.weights], ["ema", gpu.ema, cpu.ema]] as const) {
    for (const [k, { v }] of b) assert.ok(relMaxError(a.get(k)!.v, v) < TOL, `${which} ${k}: ${relMaxError(a.get(k)!.v, v)}`);
  }
  assert.ok(relMaxError(gpu.valLoss, cpu.valLoss) < 1e-4, `validation loss ${gpu.valLoss} vs ${cpu.valLoss}`);
  // Memory flat: the same tensor count after every step once the state is full (momentum from step 0).
  assert.equal(gpu.tensors[0], gpu.tensors[2]);
  assert.equal(gpu.tensors[2], cpu.tensors[2]);
});

Deno.test("webgpu: one training step of yolov7.yaml at width 1/16 equals the cpu backend's", async () => {
  const raw = { ...(await loadModelConfig("yolov7")).raw, nc: 2, width_multiple: 1 / 16 };
  const spec = buildModelSpec(parseModelConfig(raw, "yolov7-w16.yaml"));
  const { cpu, gpu } = await both(spec, 1, false);
  assertSameSteps(gpu, cpu, 1e-4, 2e-4);
});
