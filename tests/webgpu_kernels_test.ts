/**
 * The webgpu backend (@tensorflow/tfjs-backend-webgpu on Deno's navigator.gpu; on CI the software
 * fallback adapter): backend selection and its adapter line, and every kernel call of a training step
 * (forward and gradient, micro yolov9-c with the dual PGI loss) replayed on webgpu against the cpu
 * backend; the own WGSL MaxPoolGrad against an analytic tie case and the cpu kernel.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend, webgpuAdapter } from "../lib/backend/backend.ts";
import { initWeights, parseModelConfig } from "../lib/graph/mod.ts";
import { buildModelSpec, forwardModel } from "../lib/models/mod.ts";
import { computeLoss } from "../lib/loss/mod.ts";
import { gatherParams, paramGroups } from "../lib/optim/mod.ts";
import { describeCall, recordKernels, replayKernels } from "../lib/testing/kernel_record.ts";
import { microYolov9cConfig } from "./fixtures/train_data.ts";

const TOL = 1e-5;

async function stderrOf(code: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["eval", code], stderr: "piped", stdout: "null" }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stderr);
}

Deno.test("--backend webgpu: the first line names the adapter; the automatic choice skips a fallback adapter", async () => {
  const url = new URL("../lib/backend/backend.ts", import.meta.url).href;
  const forced = await stderrOf(`import { initBackend } from "${url}"; await initBackend("webgpu");`);
  const first = forced.split("\n")[0];
  assert.match(first, /^\[yolov9-ts\] backend webgpu \(adapter: .*vendor \S+, architecture \S+, (fallback adapter|GPU)/);
  const auto = await stderrOf(`import { initBackend } from "${url}"; await initBackend();`);
  // This machine's only adapter is the fallback one (llvmpipe): never chosen unless asked for by name.
  if (first.includes("fallback adapter")) assert.doesNotMatch(auto, /backend webgpu/);
  else assert.match(auto, /backend webgpu/);
});

Deno.test("every kernel of a dual-loss training step gives the cpu backend's values on webgpu", async () => {
  await initBackend("cpu", { quiet: true });
  const spec = buildModelSpec(parseModelConfig(microYolov9cConfig(2), "micro-yolov9-c"));
  const w = initWeights(spec, { seed: 0 });
  const params = gatherParams(w, paramGroups(w).names);
  const x = tf.randomUniform([2, 64, 64, 3], 0, 1, "float32", 3) as tf.Tensor4D;
  const targets = [0, 0, 0.3, 0.4, 0.2, 0.3, 0, 1, 0.6, 0.6, 0.3, 0.2, 1, 1, 0.5, 0.5, 0.4, 0.4];
  const { calls } = recordKernels(() =>
    tf.tidy(() =>
      tf.valueAndGrads((..._p: tf.Tensor[]) => {
        const { heads } = forwardModel(spec, w, x, { training: true, stats: new Map() });
        return computeLoss(heads, targets, { nc: 2, strides: spec.strides }).total;
      })(params).value
    )
  );
  const kernels = new Set(calls.map((c) => c.kernelName));
  for (const k of ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "MaxPool", "MaxPoolGrad", "AvgPool", "AvgPoolGrad", "Sigmoid", "Softmax"]) {
    assert.ok(kernels.has(k), `the step should use ${k}; it used ${[...kernels]}`);
  }
  await initBackend("webgpu", { quiet: true });
  assert.ok(webgpuAdapter(), "webgpu adapter");
  const before = tf.memory().numTensors;
  const results = await replayKernels(calls);
  assert.equal(tf.memory().numTensors, before);
  const bad = results.filter((r) => !(r.error <= TOL)).map((r) => `${r.error.toExponential(2)} ${describeCall(r.call)}`);
  assert.deepEqual(bad, [], `${bad.length} of ${results.length} kernel calls differ from cpu`);
});

Deno.test("webgpu MaxPoolGrad sends a window's gradient to its first maximum (ties, padding), as cpu does", async () => {
  await initBackend("webgpu", { quiet: true });
  // SPPELAN's second k5 pool at P5: a constant 2x2 map; every window's first maximum is (0, 0).
  const x = tf.fill([1, 2, 2, 3], 0.5) as tf.Tensor4D;
  const dy = tf.tensor4d(Float32Array.from({ length: 12 }, (_, i) => i + 1), [1, 2, 2, 3]);
  const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 5, 1, 2), dy)))(x);
  assert.deepEqual(Array.from(await g.data()), [22, 26, 30, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  // Integer-valued inputs (many ties) for the k3s2 p1 pool of ADown and k2s2, against the cpu kernel.
  const n = 2 * 7 * 9 * 4;
  const xv = Float32Array.from({ length: n }, (_, i) => (i * 7919) % 5);
  const cases: [number, number, number | "same" | "valid"][] = [[3, 2, 1], [2, 2, "valid"], [5, 1, 2], [3, 1, "same"]];
  const grads = async (k: number, s: number, p: number | "same" | "valid") => {
    const xt = tf.tensor4d(xv, [2, 7, 9, 4]);
    const y = tf.maxPool(xt, k, s, p);
    const dyv = tf.tensor(Float32Array.from({ length: y.size }, (_, i) => 1 + (i % 7)), y.shape);
    const out = await tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, k, s, p), dyv)))(xt).data();
    tf.dispose([xt, y, dyv]);
    return out;
  };
  const gpu = [];
  for (const [k, s, p] of cases) gpu.push(await grads(k, s, p));
  await initBackend("cpu", { quiet: true });
  for (let i = 0; i < cases.length; i++) {
    assert.deepEqual(Array.from(gpu[i]), Array.from(await grads(...cases[i])), `k${cases[i][0]} s${cases[i][1]} p${cases[i][2]}`);
  }
});
