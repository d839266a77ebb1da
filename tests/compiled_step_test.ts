// The compiled training pass (lib/train/compiled_step.ts over lib/backend/native/trace.ts) against the
// plain tfjs pass on the native backend: kernel recordings replay to the values tfjs computes (new
// inputs, segments, unused calls dropped, constants kept and released), and N training steps of the
// compiled path equal N plain steps (losses, weights, BatchNorm statistics, EMA) for a single-head, a
// dual-head (PGI) and an anchor-based (YOLOv7) model, with tf.memory() flat.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { recordKernels } from "../lib/backend/port.ts";
import { flattenTree } from "../lib/nn/tree.ts";
import { releaseState } from "../lib/train/mod.ts";
import { compiledStepStatus, setCompiledStep } from "../lib/train/compiled_step.ts";
import type { Batch } from "../lib/data/types.ts";
import { loadBatches, runSteps, stepSetup, syntheticDataset, TINY_YOLOV7, tinyConfig } from "./fixtures/train_data.ts";

const backend = await initBackend("native", { quiet: true });
const dataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

Deno.test("kernel recording: a replay with new inputs equals tfjs, across segments, and releases what it holds", () => {
  assert.equal(backend, "native");
  const before = dataIds();
  const x = tf.randomNormal([2, 3, 4, 5], 0, 1, "float32", 1);
  const g = tf.randomNormal([2, 3, 4, 5], 0, 1, "float32", 2);
  const f = (a: tf.Tensor) => tf.mul(tf.relu(a), 2.5); // 2.5 becomes a constant of the recording
  const unused: tf.Tensor[] = [];
  const rec = recordKernels((mark) =>
    tf.tidy(() => {
      const y = f(x);
      unused.push(tf.keep(tf.exp(x))); // nothing exports it: the program drops the call
      mark();
      return { y, z: tf.sum(tf.mul(y, g), [1]) };
    })
  );
  assert.ok(rec, "the native backend records kernels");
  const c = rec.compile([[x], [g]], [[rec.result.y], [rec.result.z]]);
  assert.ok(c.ok, c.ok ? "" : c.reason);
  assert.equal(c.program.kernels, 4, "relu, mul, then mul and sum: the unused exp is dropped");
  tf.dispose([rec.result.y, rec.result.z, ...unused]);
  for (const seed of [3, 4]) {
    const x2 = tf.randomNormal([2, 3, 4, 5], 0, 1, "float32", seed);
    const g2 = tf.randomNormal([2, 3, 4, 5], 0, 1, "float32", seed + 10);
    const run = c.program.run();
    const [y] = run.segment([x2]).map((i) => tf.engine().makeTensorFromTensorInfo(i));
    const [z] = run.segment([g2]).map((i) => tf.engine().makeTensorFromTensorInfo(i));
    run.close();
    const [y0, z0] = tf.tidy(() => {
      const y = f(x2);
      return [y, tf.sum(tf.mul(y, g2), [1])];
    });
    assert.deepEqual(y.dataSync(), y0.dataSync());
    assert.deepEqual(z.shape, [2, 4, 5]);
    assert.deepEqual(z.dataSync(), z0.dataSync());
    tf.dispose([x2, g2, y, z, y0, z0]);
  }
  c.program.dispose();
  tf.dispose([x, g]);
  assert.equal(dataIds(), before, "the program and its runs hold no storage after dispose");
  assert.throws(() => c.program.run(), /disposed/);
});

Deno.test("kernel recording: reads during the recording make it unreplayable", () => {
  const x = tf.tensor1d([1, -2, 3]);
  const rec = recordKernels(() => tf.tidy(() => tf.relu(tf.mul(x, tf.scalar(tf.max(x).dataSync()[0])))))!;
  const c = rec.compile([[x]], [[rec.result]]);
  assert.equal(c.ok, false);
  assert.match(c.ok ? "" : c.reason, /read/);
  tf.dispose([x, rec.result]);
});

/** `n` steps from seed 0 on the plain or the compiled path: losses, the final state, the tensor count change per step. */
function steps(cfgRows: Record<string, unknown>, compiled: boolean, data: Batch[]) {
  setCompiledStep(compiled);
  const { cfg, state: start } = stepSetup(cfgRows, { nbs: 4, batchesPerEpoch: 3 });
  const { state, losses, tensors } = runSteps(start, data, cfg);
  const status = compiledStepStatus(cfg.spec, data[0].images.shape);
  setCompiledStep(true);
  return { losses, tensors, state, status };
}

for (
  const [name, rows] of [["single head", tinyConfig(2)], ["dual head (PGI)", tinyConfig(2, true)], [
    "YOLOv7 (anchors, OTA)",
    TINY_YOLOV7,
  ]] as const
) {
  Deno.test(`compiled step: ${name}, four steps equal the plain tfjs steps, memory flat`, async () => {
    const data = await loadBatches(syntheticDataset(16, { size: 64 }), { batch: 4, img: 64 });
    const plain = steps(rows, false, data);
    const fast = steps(rows, true, data);
    try {
      assert.equal(plain.status.path, "tfjs");
      assert.equal(fast.status.path, "compiled", fast.status.reason);
      assert.ok(fast.status.kernels! > 100, `${fast.status.kernels} kernels per compiled pass`);
      assert.ok(plain.losses.every(Number.isFinite));
      for (let i = 0; i < plain.losses.length; i++) {
        assert.ok(
          Math.abs(fast.losses[i] - plain.losses[i]) <= 1e-5 * Math.abs(plain.losses[i]),
          `loss ${i}: ${fast.losses[i]} vs ${plain.losses[i]}`,
        );
      }
      for (
        const [a, b] of [[fast.state.weights, plain.state.weights], [
          fast.state.ema.weights,
          plain.state.ema.weights,
        ]]
      ) {
        const fa = flattenTree(a), fb = flattenTree(b);
        assert.equal(fa.length, fb.length);
        assert.ok(fa.some(([k]) => k.endsWith("running_var")), "BatchNorm statistics are compared");
        for (let i = 0; i < fa.length; i++) {
          assert.equal(fa[i][0], fb[i][0]);
          const x = fa[i][1].dataSync(), y = fb[i][1].dataSync();
          let worst = 0;
          for (let j = 0; j < x.length; j++) {
            worst = Math.max(worst, Math.abs(x[j] - y[j]) / (1e-3 + Math.abs(y[j])));
          }
          assert.ok(worst <= 1e-4, `${fa[i][0]}: relative difference ${worst}`);
        }
      }
      // The recording step (the first) allocates the program; then each step leaves the count as it was.
      assert.deepEqual(fast.tensors.slice(1), [0, 0, 0]);
    } finally {
      releaseState(plain.state);
      releaseState(fast.state);
    }
  });
}
