// The lean gradient tape (lib/backend/lean_tape.ts) against tfjs' stock tape on the native backend:
// the same training steps give identical losses, weights and BatchNorm statistics, with about half the
// kernel calls, and tf.memory() stays flat.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { leanTape, setLeanTape } from "../lib/backend/lean_tape.ts";
import { initWeights, parseModelConfig } from "../lib/graph/mod.ts";
import { buildModelSpec } from "../lib/models/mod.ts";
import { flattenTree } from "../lib/nn/tree.ts";
import { paramGroups } from "../lib/optim/mod.ts";
import { DEFAULT_HYP, initTrainState, releaseState, type StepConfig, trainStep } from "../lib/train/mod.ts";
import type { Batch } from "../lib/data/types.ts";
import { setCompiledStep } from "../lib/train/compiled_step.ts";
import { loadBatches, syntheticDataset, runSteps, tinyConfig } from "./fixtures/train_data.ts";

const backend = await initBackend("native", { quiet: true });
// The tape is what is tested: every step through tfjs' engine, not the compiled program.
setCompiledStep(false);

/** Three steps of the dual (PGI) tiny model from seed 0: losses, the final state, the tensor count change of each step. */
function run(lean: boolean, data: Batch[]) {
  setLeanTape(lean);
  const spec = buildModelSpec(parseModelConfig(tinyConfig(2, true), "tiny"));
  const w = initWeights(spec, { seed: 0 });
  const groups = paramGroups(w);
  const cfg: StepConfig = { spec, groups, weightDecay: 5e-4, schedule: { hyp: { ...DEFAULT_HYP }, epochs: 10, batch: 4, batchesPerEpoch: 3, nbs: 4 } };
  const { state, losses, tensors } = runSteps(initTrainState(w, groups), data, cfg);
  return { losses, tensors, state, cfg };
}

Deno.test("lean tape: training steps equal the stock tape's exactly, with fewer kernel calls and flat memory", async () => {
  assert.equal(backend, "native");
  const data = await loadBatches(syntheticDataset(12, { size: 64 }), { batch: 4, img: 64 });
  const stock = run(false, data);
  const lean = run(true, data);
  try {
    assert.deepEqual(lean.losses, stock.losses);
    const a = flattenTree(lean.state.weights), b = flattenTree(stock.state.weights);
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i++) {
      assert.equal(a[i][0], b[i][0]);
      assert.deepEqual(a[i][1].dataSync(), b[i][1].dataSync(), `weight ${a[i][0]} differs`);
    }
    const bn = a.filter(([k]) => k.endsWith("running_var"));
    assert.ok(bn.length > 0, "the tiny model has BatchNorm layers");
    const ema = flattenTree(lean.state.ema.weights), emaStock = flattenTree(stock.state.ema.weights);
    for (let i = 0; i < ema.length; i++) assert.deepEqual(ema[i][1].dataSync(), emaStock[i][1].dataSync(), `EMA ${ema[i][0]}`);
    // Memory: after the first step, a step leaves the tensor count where it was.
    assert.deepEqual(lean.tensors.slice(1), [0, 0]);
    // Kernel calls of one step under each tape.
    const count = async (on: boolean) => {
      setLeanTape(on);
      const info = await tf.profile(() => {
        const r = trainStep(lean.state, data[0], { epoch: 5, batch: 0, ni: 200 }, lean.cfg);
        releaseState(r.state, lean.state);
      });
      return info.kernels.length;
    };
    const [kStock, kLean] = [await count(false), await count(true)];
    assert.ok(kLean < 0.7 * kStock, `lean tape: ${kLean} kernel calls, stock ${kStock}: expected under 70 %`);
  } finally {
    setLeanTape(true);
    releaseState(lean.state);
    releaseState(stock.state);
  }
  assert.equal(leanTape(), true);
});
