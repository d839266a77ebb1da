// A donated training step (StepContext.donate: the training loop hands each step its input state)
// updates weights, BatchNorm statistics, momentum, EMA and the gradient accumulation in place: the
// values equal those of the pure step bit for bit, steady steps make no new state tensors, and a step
// that throws (non-finite loss) leaves the donated state as it was.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { flattenTree } from "../lib/nn/tree.ts";
import { NonFiniteLossError, releaseState, type TrainState, trainStep } from "../lib/train/mod.ts";
import type { Batch } from "../lib/data/types.ts";
import { loadBatches, stepSetup, syntheticDataset, tinyConfig } from "./fixtures/train_data.ts";

assert.equal(await initBackend("native", { quiet: true }), "native");

/** Every value a state holds, by name (weights, EMA, momentum, accumulation), copied. */
function snapshot(s: TrainState): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [k, t] of flattenTree(s.weights)) out.set(`w.${k}`, Array.from(t.dataSync()));
  for (const [k, t] of flattenTree(s.ema.weights)) out.set(`ema.${k}`, Array.from(t.dataSync()));
  s.sgd.buffers.forEach((b, i) => b && out.set(`buf.${i}`, Array.from(b.dataSync())));
  if (s.gradAcc instanceof Float32Array) out.set("acc", Array.from(s.gradAcc));
  return out;
}

/** Steps over `data` from seed 0 (accumulating 2 batches of 4 to the nominal 8): losses, final values, new tensors per step. */
function run(rows: Record<string, unknown>, data: Batch[], donate: boolean) {
  const setup = stepSetup(rows, { nbs: 8, batchesPerEpoch: data.length });
  const cfg = setup.cfg;
  let state = setup.state;
  const losses: number[] = [], made: number[] = [], kept: boolean[] = [];
  data.forEach((b, i) => {
    const before = tf.memory().numTensors;
    const r = trainStep(state, b, { epoch: 5, batch: i, ni: 100 + i, donate }, cfg);
    kept.push(r.state.weights === state.weights && r.state.ema.weights === state.ema.weights);
    releaseState(state, r.state);
    state = r.state;
    losses.push(r.metrics.loss);
    made.push(tf.memory().numTensors - before);
  });
  return { losses, made, kept, state, cfg };
}

for (
  const [name, rows] of [["single head", tinyConfig(2)], ["dual head (PGI)", tinyConfig(2, true)]] as const
) {
  Deno.test(`donated step: ${name}, six steps with accumulation equal the pure steps bit for bit, in place`, async () => {
    const batches = await loadBatches(syntheticDataset(12, { size: 64 }), { batch: 4, img: 64 });
    const data = [...batches, ...batches];
    const pure = run(rows, data, false);
    const donated = run(rows, data, true);
    try {
      assert.deepEqual(donated.losses, pure.losses);
      const a = snapshot(donated.state), b = snapshot(pure.state);
      assert.deepEqual([...a.keys()], [...b.keys()]);
      assert.ok([...a.keys()].some((k) => k.endsWith("running_var")) && a.has("buf.0"));
      for (const [k, v] of a) assert.deepEqual(v, b.get(k), k);
      // Step 0 makes the momentum buffers and new weights and EMA (the EMA starts as a clone sharing
      // the weights' storage); from then on every step is in place and makes no tensors.
      assert.equal(donated.kept[0], false);
      assert.ok(donated.made[0] > 0);
      assert.deepEqual(donated.kept.slice(1), [true, true, true, true, true]);
      assert.deepEqual(donated.made.slice(1), [0, 0, 0, 0, 0]);
      assert.ok(pure.kept.every((k) => !k), "the pure step returns new trees");
    } finally {
      releaseState(donated.state);
      releaseState(pure.state);
      tf.dispose(batches.map((x) => x.images));
    }
  });
}

Deno.test("donated step: a non-finite loss leaves the donated state intact, at an accumulation and at an optimizer step", async () => {
  const [a, b] = await loadBatches(syntheticDataset(8, { size: 64 }), { batch: 4, img: 64 });
  const { state: warm, cfg } = run(tinyConfig(2), [a, b, a, b], true);
  let state = warm;
  const bad = { images: tf.fill([4, 64, 64, 3], NaN) as tf.Tensor4D, targets: a.targets };
  try {
    for (const ni of [104, 105]) { // 104 would step the optimizer, 105 accumulates only
      const before = snapshot(state), tensors = tf.memory().numTensors;
      assert.throws(
        () => trainStep(state, bad, { epoch: 5, batch: ni - 100, ni, donate: true }, cfg),
        NonFiniteLossError,
      );
      assert.equal(tf.memory().numTensors, tensors);
      const after = snapshot(state);
      for (const [k, v] of before) assert.deepEqual(after.get(k), v, k);
      const r = trainStep(state, a, { epoch: 5, batch: ni - 100, ni, donate: true }, cfg);
      releaseState(state, r.state);
      state = r.state;
    }
  } finally {
    releaseState(state);
    tf.dispose([a.images, b.images, bad.images]);
  }
});
