// trainStep(): gradient accumulation against a hand-assembled step, flat tensor memory, the non-finite
// loss error, and learning on a tiny overfit problem (single and dual heads).
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { initWeights, parseModelConfig } from "../lib/graph/mod.ts";
import { buildModelSpec, forwardModel } from "../lib/models/mod.ts";
import { disposeWeights } from "../lib/graph/weights.ts";
import { computeLoss } from "../lib/loss/mod.ts";
import { flattenTree } from "../lib/nn/tree.ts";
import { assertAllClose } from "../lib/testing/all_close.ts";
import { clipGradNorm, emaDecay, gatherParams, paramGroups, sgdStep } from "../lib/optim/mod.ts";
import { validate } from "../lib/infer/mod.ts";
import { DEFAULT_HYP, initTrainState, NonFiniteLossError, releaseState, stateTensors, type StepConfig, type TrainState, trainStep } from "../lib/train/mod.ts";
import type { Batch } from "../lib/data/types.ts";
import { syntheticDataset, syntheticLoader, tinyConfig } from "./fixtures/train_data.ts";

await initBackend("wasm", { quiet: true });

async function batchesOf(n: number, batch: number): Promise<Batch[]> {
  const out: Batch[] = [];
  const ds = syntheticDataset(n, { size: 64 });
  for await (const b of syntheticLoader(ds, { batch, img: 64, stride: 32, augment: false, hyp: {}, seed: 0, epoch: 0, shuffle: false })) out.push(b);
  return out;
}

function setup(dual: boolean, nbs: number): { cfg: StepConfig; state: TrainState } {
  const spec = buildModelSpec(parseModelConfig(tinyConfig(2, dual), "tiny"));
  const w = initWeights(spec, { seed: 0 });
  const groups = paramGroups(w);
  const cfg: StepConfig = {
    spec, groups, weightDecay: 5e-4,
    schedule: { hyp: { ...DEFAULT_HYP }, epochs: 10, batch: 4, batchesPerEpoch: 2, nbs },
  };
  return { cfg, state: initTrainState(w, groups) };
}

Deno.test("trainStep() accumulates gradients to the nominal batch and steps like clip + SGD on their sum", async () => {
  const [a, b] = await batchesOf(8, 4);
  const { cfg, state: s0 } = setup(false, 8); // accumulate = 64 / ... = round(8 / 4) = 2 after warm-up
  const ctx = (i: number) => ({ epoch: 6, batch: i, ni: 1000 + i });
  // The first iteration steps (ni - last_opt_step = 1001 >= 2), the second only accumulates.
  const r0 = trainStep(s0, a, ctx(0), cfg);
  assert.equal(r0.metrics.stepped, true);
  const r1 = trainStep(r0.state, a, ctx(1), cfg);
  assert.equal(r1.metrics.stepped, false);
  assert.equal(r1.state.sgd, r0.state.sgd);
  const r2 = trainStep(r1.state, b, ctx(2), cfg);
  assert.equal(r2.metrics.stepped, true);
  // By hand: gradients of the loss on a then b at the same parameters, summed, clipped, one SGD step.
  const names = cfg.groups.names;
  const p = gatherParams(r0.state.weights, names);
  const gradOf = (x: Batch) =>
    tf.grads(() => computeLoss(forwardModel(cfg.spec, r0.state.weights, x.images, { training: true, stats: new Map() }).heads, x.targets, { nc: 2, strides: cfg.spec.strides }).total)(p);
  const ga = gradOf(a), gb = gradOf(b);
  const sum = ga.map((g, i) => tf.add(g, gb[i]));
  const clipped = clipGradNorm(sum, 10);
  assert.ok(Math.abs(clipped.norm - r2.metrics.gradNorm!) < 1e-3 * clipped.norm);
  const s = r2.metrics.settings;
  const manual = sgdStep(p, clipped.grads, r0.state.sgd, cfg.groups.groups, {
    lr: s.lr, momentum: [s.momentum, s.momentum, s.momentum], weightDecay: [0, 5e-4, 0], nesterov: true,
  });
  const got = gatherParams(r2.state.weights, names);
  manual.params.forEach((m, i) => assertAllClose(got[i].dataSync(), m.dataSync(), { atol: 1e-6, rtol: 1e-4, msg: names[i] }));
  // EMA after the second optimizer step.
  const d = emaDecay(2);
  const e1 = gatherParams(r0.state.ema.weights, names), e2 = gatherParams(r2.state.ema.weights, names);
  e2.forEach((e, i) =>
    assertAllClose(e.dataSync(), Array.from(e1[i].dataSync(), (v, k) => d * v + (1 - d) * got[i].dataSync()[k]), { atol: 1e-6 })
  );
  // Running statistics changed at every iteration (3 forward passes).
  const nbt = flattenTree(r2.state.weights).find(([n]) => n.endsWith("num_batches_tracked"))![1];
  assert.equal(nbt.dataSync()[0], 3);
  tf.dispose([...ga, ...gb, ...sum, ...clipped.grads, ...manual.params, ...(manual.state.buffers as tf.Tensor[])]);
  for (const [old, next] of [[s0, r0.state], [r0.state, r1.state], [r1.state, r2.state]]) releaseState(old, next);
  releaseState(r2.state);
  tf.dispose([a.images, b.images]);
});

Deno.test("trainStep(): tf.memory().numTensors stays flat across iterations (single and dual heads)", async () => {
  const batches = await batchesOf(8, 4);
  for (const dual of [false, true]) {
    let { cfg, state } = setup(dual, 8);
    // (initWeights itself leaves one tf.range per DFL behind: lib/graph/init.ts, not counted here.)
    const before = tf.memory().numTensors - stateTensors(state).size;
    const counts: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = trainStep(state, batches[i % 2], { epoch: 0, batch: i, ni: i }, cfg);
      releaseState(state, r.state);
      state = r.state;
      counts.push(tf.memory().numTensors);
    }
    // Iterations alternate between holding accumulated gradients or not once warm-up accumulation is 1 or 2.
    assert.ok(counts.slice(2).every((c) => c <= Math.max(...counts.slice(0, 2))), `counts ${counts}`);
    releaseState(state);
    assert.equal(tf.memory().numTensors, before, `leaked ${tf.memory().numTensors - before} tensors (dual ${dual})`);
  }
  tf.dispose(batches.map((b) => b.images));
});

Deno.test("trainStep() stops on a non-finite loss naming epoch and batch, leaving the state intact", async () => {
  const [a] = await batchesOf(4, 4);
  const { cfg, state } = setup(false, 4);
  const before = tf.memory().numTensors;
  const bad = { images: tf.fill([4, 64, 64, 3], NaN) as tf.Tensor4D, targets: a.targets };
  assert.throws(() => trainStep(state, bad, { epoch: 3, batch: 7, ni: 37 }, cfg), (e: Error) => {
    assert.ok(e instanceof NonFiniteLossError);
    assert.match(e.message, /epoch 3, batch 7/);
    return true;
  });
  bad.images.dispose();
  assert.equal(tf.memory().numTensors, before);
  const ok = trainStep(state, a, { epoch: 3, batch: 8, ni: 38 }, cfg);
  assert.ok(Number.isFinite(ok.metrics.loss));
  releaseState(state, ok.state);
  releaseState(ok.state);
  a.images.dispose();
});

for (const dual of [false, true]) {
  Deno.test(`trainStep() learns a tiny detection problem (${dual ? "dual" : "single"} head): loss falls, mAP50 rises`, async () => {
    const batches = await batchesOf(8, 4);
    let { cfg, state } = setup(dual, 4);
    const losses: number[] = [];
    for (let i = 0; i < 120; i++) {
      const r = trainStep(state, batches[i % 2], { epoch: 5, batch: i % 2, ni: 1000 + i }, cfg);
      releaseState(state, r.state);
      state = r.state;
      losses.push(r.metrics.loss);
    }
    const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
    const peak = Math.max(...losses.slice(0, 40).map((_, i) => mean(losses.slice(i, i + 10))));
    const end = mean(losses.slice(-10));
    assert.ok(end < 0.6 * peak, `loss did not fall: peak (10-iteration mean) ${peak.toFixed(2)}, last 10 ${end.toFixed(2)}`);
    const ds = syntheticDataset(8, { size: 64 });
    const v = await validate(cfg.spec, state.weights, ds, { loader: syntheticLoader, batch: 8, img: 64, hyp: {} });
    assert.ok(v.map50 > 0.3, `mAP50 on the training images ${v.map50.toFixed(3)}`);
    releaseState(state);
    tf.dispose(batches.map((b) => b.images));
    disposeWeights({});
  });
}
