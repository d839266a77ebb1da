/**
 * The reference cases on the webgpu backend (on CI the software fallback adapter; the cases are small:
 * 64x64 and 96x128 inputs of the t models): every golden case of tests/golden passes, read with awaited
 * reads only; and the finite-difference gradient check runs on webgpu through a whole dual (PGI) model.
 */
import * as tf from "@tensorflow/tfjs";
import { ok } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { listCases, runCase } from "../lib/golden/runner.ts";
import { GOLDEN_DIR } from "../lib/testing/golden_dir.ts";
import { gradCheck } from "../lib/testing/grad_check.ts";
import { initWeights, parseModelConfig } from "../lib/graph/mod.ts";
import { buildModelSpec, decodeBranches, forwardModel } from "../lib/models/mod.ts";
import { getPath, mapTree } from "../lib/nn/tree.ts";
import { nonMaxSuppression, nonMaxSuppressionAsync } from "../lib/eval/nms.ts";
import { readSafetensors } from "../lib/io/safetensors.ts";
import { toFloat32 } from "../lib/io/raw_tensor.ts";
import { tinyConfig } from "./fixtures/train_data.ts";

Deno.test("golden cases pass on webgpu", async (t) => {
  await initBackend("webgpu", { quiet: true });
  const cases = await listCases(GOLDEN_DIR);
  ok(cases.length > 0, `no golden cases found in ${GOLDEN_DIR}`);
  for (const c of cases) {
    await t.step(`${c.kind} ${c.stem}`, async () => {
      const before = tf.memory().numTensors;
      const r = await runCase(GOLDEN_DIR, c, { backend: "webgpu" });
      const bad = r.checks.filter((k) => !k.pass);
      ok(
        r.checks.length > 0 && bad.length === 0,
        bad.map((k) => `${k.name}: ${k.error} > ${k.tol} ${k.note ?? ""}`).join("; "),
      );
      ok(tf.memory().numTensors === before, `${c.stem} leaks ${tf.memory().numTensors - before} tensors`);
    });
  }
});

Deno.test("gradient check on webgpu: d(decoded outputs of a dual model)/d(first conv) equals finite differences", async () => {
  await initBackend("webgpu", { quiet: true });
  const spec = buildModelSpec(parseModelConfig(tinyConfig(2, true), "tiny-dual"));
  const weights = initWeights(spec, { seed: 1 });
  const name = "model.1.conv.weight";
  const w0 = getPath(weights, name) as tf.Tensor;
  const x = tf.randomUniform([1, 32, 32, 3], 0, 1, "float32", 7) as tf.Tensor4D;
  const probeShapes = tf.tidy(() =>
    decodeBranches(spec, forwardModel(spec, weights, x).heads).map((d) => d.shape)
  );
  const probes = probeShapes.map((s, i) => tf.randomNormal(s, 0, 1, "float32", 3 + i));
  const f = (w: tf.Tensor): tf.Scalar => {
    const p = mapTree(weights, (t, n) => (n === name ? w : t));
    const d = decodeBranches(spec, forwardModel(spec, p, x).heads);
    return tf.addN(d.map((t, i) => tf.sum(tf.mul(tf.div(t, 100), probes[i])))) as tf.Scalar;
  };
  const g = await gradCheck(f, [w0], { samples: 4, eps: 1e-2, floor: 1e-2 });
  ok(g.maxRelError < 5e-2, JSON.stringify(g));
  tf.dispose([x, ...probes]);
});

Deno.test("nonMaxSuppressionAsync of a webgpu tensor gives the rows of NMS on the plain array (golden nms input)", async () => {
  await initBackend("webgpu", { quiet: true });
  const input = (await readSafetensors(`${GOLDEN_DIR}/nms.safetensors`)).tensors.get("in.prediction")!;
  const data = toFloat32(input);
  const t = tf.tensor(data, input.shape);
  const opts = { confThres: 0.001, iouThres: 0.7, maxDet: 300 };
  const got = await nonMaxSuppressionAsync(t, opts);
  const want = nonMaxSuppression({ data, shape: input.shape }, opts);
  ok(want[0].n > 0);
  ok(got.every((d, b) => d.n === want[b].n && d.rows.every((v, i) => v === want[b].rows[i])), "rows differ");
  t.dispose();
});
