// Optimizer pieces of training against hand computations and the official formulas: hyp loading,
// SGD parameter groups, Nesterov SGD with weight decay, clip_grad_norm_, warm-up / LR schedule,
// ModelEMA and the BatchNorm running-statistics update.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { assertAllClose } from "../lib/testing/all_close.ts";
import { modelShapes } from "../lib/graph/mod.ts";
import { buildModelSpec, loadModelConfig } from "../lib/models/mod.ts";
import type { Tree } from "../lib/nn/tree.ts";
import { clipGradNorm, emaDecay, initEma, initSgd, iterationSettings, linearLf, nominalAccumulate, paramGroups, scaledWeightDecay, sgdStep, sgdUpdate, updateBatchNormStats, updateEma, warmupIterations } from "../lib/optim/mod.ts";
import { DEFAULT_HYP, loadHyp } from "../lib/train/mod.ts";
import { flatLayout, flatten, tensorsOf, viewsOf } from "../lib/optim/flat.ts";
import { STATE_DICT_KEYS_DIR } from "../lib/testing/golden_dir.ts";

await initBackend("cpu", { quiet: true });
const tmp = await Deno.makeTempDir({ prefix: "yolo_hyp_" });

Deno.test("loadHyp() returns the official defaults and rejects unknown, missing and non-numeric keys naming the file", async () => {
  assert.deepEqual(await loadHyp(), { ...DEFAULT_HYP });
  assert.equal((await loadHyp({ lr0: 0.02 })).lr0, 0.02);
  assert.equal((await loadHyp({ lr0: 0.02 })).momentum, 0.937);
  const full = Object.entries(DEFAULT_HYP).map(([k, v]) => `${k}: ${v}`).join("\n");
  await Deno.writeTextFile(`${tmp}/ok.yaml`, full + "\n");
  assert.deepEqual(await loadHyp(`${tmp}/ok.yaml`), { ...DEFAULT_HYP });
  await Deno.writeTextFile(`${tmp}/unknown.yaml`, full + "\nlr_0: 3\n");
  await assert.rejects(loadHyp(`${tmp}/unknown.yaml`), /unknown.yaml.*unknown key lr_0/);
  await Deno.writeTextFile(`${tmp}/missing.yaml`, full.split("\n").filter((l) => !l.startsWith("mixup")).join("\n"));
  await assert.rejects(loadHyp(`${tmp}/missing.yaml`), /missing.yaml.*missing key mixup/);
  await Deno.writeTextFile(`${tmp}/text.yaml`, full.replace("lr0: 0.01", "lr0: fast"));
  await assert.rejects(loadHyp(`${tmp}/text.yaml`), /text.yaml.*lr0: "fast"/);
  await assert.rejects(loadHyp({ mosaic: "yes" } as unknown as Record<string, number>), /<hyp mapping>.*mosaic/);
});

Deno.test("data/hyps/hyp.scratch-high.yaml holds every official key with the built-in value", async () => {
  const hyp = await loadHyp(new URL("../data/hyps/hyp.scratch-high.yaml", import.meta.url).pathname);
  assert.deepEqual(hyp, { ...DEFAULT_HYP });
  assert.equal(Object.keys(hyp).length, 29);
});

Deno.test("paramGroups() splits biases / conv weights / BN weights as smart_optimizer (counts from the official keys)", async () => {
  for (const name of ["yolov9-c", "gelan-t"]) {
    const spec = buildModelSpec(await loadModelConfig(name));
    const pg = paramGroups(modelShapes(spec));
    const keys = (await Deno.readTextFile(`${STATE_DICT_KEYS_DIR}keys-${name}.tsv`))
      .split("\n").filter(Boolean).map((l) => l.split("\t")[0]);
    const bn = keys.filter((k) => k.endsWith(".running_mean")).length;
    const dfl = keys.filter((k) => /\.dfl\d?\.conv\.weight$/.test(k)).length;
    const biases = keys.filter((k) => k.endsWith(".bias")).length;
    const weights = keys.filter((k) => k.endsWith(".weight")).length;
    assert.deepEqual(pg.counts, [biases, weights - bn - dfl, bn], name);
    assert.ok(pg.names.every((n) => !/running_|num_batches|dfl\d?\.conv/.test(n)), name);
    const conv = keys.find((k) => k.endsWith(".conv.weight"))!.replace(/\.conv\.weight$/, "");
    assert.equal(pg.groups[pg.names.indexOf(`${conv}.bn.weight`)], 2);
    assert.equal(pg.groups[pg.names.indexOf(`${conv}.bn.bias`)], 0);
    assert.equal(pg.groups[pg.names.indexOf(`${conv}.conv.weight`)], 1);
  }
});

Deno.test("sgdStep() matches torch.optim.SGD(nesterov=True) with weight decay, step by step", () => {
  const p = [tf.tensor1d([1, -2]), tf.tensor1d([1, -2])];
  const cfg = { lr: [0.1, 0.1, 0.1], momentum: [0.9, 0.9, 0.9], weightDecay: [0, 0.1, 0], nesterov: true };
  const s1 = sgdStep(p, [tf.tensor1d([0.5, 0.25]), tf.tensor1d([0.5, 0.25])], initSgd(2), [1, 0], cfg);
  // group 1: d = g + wd p = [0.6, 0.05]; buf = d; d += 0.9 buf; p -= 0.1 d
  assertAllClose(s1.params[0].dataSync(), [0.886, -2.0095], { atol: 1e-6 });
  // group 0 (no decay): d = g; p -= 0.1 * 1.9 g
  assertAllClose(s1.params[1].dataSync(), [0.905, -2.0475], { atol: 1e-6 });
  const s2 = sgdStep(s1.params, [tf.tensor1d([0.1, -0.3]), tf.tensor1d([0.1, -0.3])], s1.state, [1, 0], cfg);
  assertAllClose(s2.params[0].dataSync(), [0.801566, -1.9183695], { atol: 1e-6 });
  assertAllClose(s2.state.buffers[0]!.dataSync(), [0.7286, -0.45595], { atol: 1e-6 });
  const plain = sgdStep([tf.tensor1d([1])], [tf.tensor1d([2])], initSgd(1), [1], { ...cfg, nesterov: false, weightDecay: [0, 0, 0] });
  assertAllClose(plain.params[0].dataSync(), [0.8], { atol: 1e-7 });
});

Deno.test("clipGradNorm() scales by max_norm / (total norm + 1e-6) only above the limit", () => {
  const g = [tf.tensor1d([3, 4]), tf.tensor1d([12])];
  const c = clipGradNorm(g, 10);
  assert.ok(Math.abs(c.norm - 13) < 1e-5);
  const k = 10 / (13 + 1e-6);
  assertAllClose(c.grads[0].dataSync(), [3 * k, 4 * k], { atol: 1e-6 });
  assertAllClose(c.grads[1].dataSync(), [12 * k], { atol: 1e-6 });
  const small = clipGradNorm(g, 100);
  assert.equal(small.grads[0], g[0]);
});

Deno.test("schedule: nominal batch, weight decay scaling, warm-up interpolation and linear decay as train_dual.py", () => {
  assert.deepEqual([16, 24, 25.6, 64, 128].map((b) => nominalAccumulate(b, 64)), [4, 3, 2, 1, 1]);
  assert.equal(scaledWeightDecay(0.0005, 16, 64), 0.0005);
  assert.ok(Math.abs(scaledWeightDecay(0.0005, 24, 64) - 0.0005625) < 1e-12);
  assert.equal(scaledWeightDecay(0.0005, 128, 64), 0.001);
  assert.equal(warmupIterations(3, 10), 100);
  assert.equal(warmupIterations(3, 1000), 3000);
  const lf = linearLf(20, 0.01);
  assert.equal(lf(0), 1);
  assert.ok(Math.abs(lf(20) - 0.01) < 1e-15);
  const cfg = { hyp: { ...DEFAULT_HYP }, epochs: 20, batch: 16, batchesPerEpoch: 10, nbs: 64 };
  const s0 = iterationSettings(0, 0, cfg);
  assert.deepEqual([s0.lr, s0.momentum, s0.accumulate, s0.warmup], [[0.1, 0, 0], 0.8, 1, true]);
  const s50 = iterationSettings(50, 5, cfg);
  const target = 0.01 * lf(5);
  assertAllClose(s50.lr, [0.1 + (target - 0.1) * 0.5, target / 2, target / 2], { atol: 1e-15 });
  assert.ok(Math.abs(s50.momentum - (0.8 + 0.137 * 0.5)) < 1e-12);
  assert.equal(s50.accumulate, 2); // round(2.5) = 2, numpy rounds halves to even
  const s100 = iterationSettings(100, 10, cfg);
  assert.deepEqual([s100.lr[0], s100.momentum, s100.accumulate], [0.01 * lf(10), 0.937, 4]);
  const s101 = iterationSettings(101, 10, cfg);
  assert.deepEqual([s101.lr, s101.momentum, s101.accumulate, s101.warmup], [[0.01 * lf(10), 0.01 * lf(10), 0.01 * lf(10)], 0.937, 4, false]);
});

Deno.test("ModelEMA: decay = 0.9999 (1 - exp(-updates / 2000)); floats averaged, integer buffers kept", () => {
  assert.equal(emaDecay(0), 0);
  assert.ok(Math.abs(emaDecay(2000) - 0.9999 * (1 - Math.exp(-1))) < 1e-15);
  const model: Tree<tf.Tensor> = { a: tf.tensor1d([3, 5]), bn: { num_batches_tracked: tf.scalar(7, "int32") } };
  const ema0 = initEma({ a: tf.tensor1d([1, 1]), bn: { num_batches_tracked: tf.scalar(2, "int32") } });
  const ema1 = updateEma(ema0, model);
  const d = emaDecay(1);
  assert.equal(ema1.updates, 1);
  assertAllClose((ema1.weights.a as tf.Tensor).dataSync(), [d + (1 - d) * 3, d + (1 - d) * 5], { atol: 1e-6 });
  assert.equal(((ema1.weights.bn as Tree<tf.Tensor>).num_batches_tracked as tf.Tensor).dataSync()[0], 2);
  const ema2 = updateEma({ ...ema1, updates: 1e6 }, model);
  assertAllClose((ema2.weights.a as tf.Tensor).dataSync(), Array.from((ema1.weights.a as tf.Tensor).dataSync(), (v, i) => 0.9999 * v + 0.0001 * [3, 5][i]), { atol: 1e-6 });
});

Deno.test("updateBatchNormStats(): momentum 0.03, unbiased running variance, num_batches_tracked + 1", () => {
  const bn: Tree<tf.Tensor> = {
    weight: tf.ones([2]), bias: tf.zeros([2]), running_mean: tf.tensor1d([0, 1]), running_var: tf.tensor1d([1, 2]),
    num_batches_tracked: tf.scalar(4, "int32"),
  };
  const other: Tree<tf.Tensor> = { weight: tf.ones([1]), bias: tf.zeros([1]), running_mean: tf.zeros([1]), running_var: tf.ones([1]), num_batches_tracked: tf.scalar(0, "int32") };
  const tree: Tree<tf.Tensor> = { model: { 0: { bn }, 1: { bn: other } } };
  const stats = new Map([[bn, { mean: tf.tensor1d([2, -1]) as tf.Tensor1D, variance: tf.tensor1d([4, 8]) as tf.Tensor1D, count: 5 }]]);
  const out = updateBatchNormStats(tree, stats);
  const nb = ((out.model as Tree<tf.Tensor>)[0] as Tree<tf.Tensor>).bn as Tree<tf.Tensor>;
  assertAllClose((nb.running_mean as tf.Tensor).dataSync(), [0.06, 0.97 - 0.03], { atol: 1e-6 });
  assertAllClose((nb.running_var as tf.Tensor).dataSync(), [0.97 + 0.03 * 5, 0.97 * 2 + 0.03 * 10], { atol: 1e-6 });
  assert.equal((nb.num_batches_tracked as tf.Tensor).dataSync()[0], 5);
  assert.equal(nb.weight, bn.weight);
  assert.equal((((out.model as Tree<tf.Tensor>)[1] as Tree<tf.Tensor>).bn as Tree<tf.Tensor>).running_mean, other.running_mean);
  assert.equal((bn.running_mean as tf.Tensor).dataSync()[0], 0, "input tree unchanged");
});

Deno.test("flatten() / viewsOf() / tensorsOf(): values end to end and back, nulls as zeros, int32 kept", () => {
  const ts = [tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([5]), tf.scalar(8)];
  const layout = flatLayout(ts.map((t) => t.shape));
  assert.deepEqual([layout.offsets, layout.sizes, layout.total], [[0, 4, 5], [4, 1, 1], 6]);
  const flat = flatten([ts[0], null, ts[2]], layout);
  assert.deepEqual(Array.from(flat), [1, 2, 3, 4, 0, 8]);
  assert.deepEqual(viewsOf(flat, layout).map((v) => Array.from(v)), [[1, 2, 3, 4], [0], [8]]);
  const back = tensorsOf(viewsOf(flatten(ts, layout), layout), ts.map((t) => t.shape));
  back.forEach((b, i) => {
    assert.deepEqual(b.shape, ts[i].shape);
    assert.deepEqual(Array.from(b.dataSync()), Array.from(ts[i].dataSync()));
  });
  const ints = tensorsOf([Int32Array.of(3), Int32Array.of(4)], [[], [1]]);
  assert.deepEqual(ints.map((t) => [t.dtype, ...t.dataSync()]), [["int32", 3], ["int32", 4]]);
  assert.throws(() => viewsOf(new Float32Array(2), flatLayout([[3]])), /Cannot split 2 values into shapes totalling 3/);
  tf.dispose([...ts, ...back, ...ints]);
});

Deno.test("sgdUpdate() equals the same step as float32 tensor ops bit for bit (clip factor, decay, Nesterov)", () => {
  const rnd = (n: number, seed: number) => tf.randomNormal([n], 0, 1, "float32", seed);
  const [p, g, b] = [rnd(257, 1), rnd(257, 2), rnd(257, 3)];
  const cfg = { lr: [0.01, 0.02, 0.03], momentum: [0.937, 0.937, 0.937], weightDecay: [0, 5e-4, 0], nesterov: true, gradScale: 0.37 };
  const layout = flatLayout([[200], [57]]);
  const [pv, gv, bv] = [p, g, b].map((t) => viewsOf(t.dataSync() as Float32Array, layout));
  const got = sgdUpdate(pv, gv, bv, [1, 2], cfg);
  const want = tf.tidy(() =>
    [[0, 200, 1], [200, 57, 2]].map(([o, n, k]) => {
      const [pk, gk, bk] = [p, g, b].map((t) => t.slice(o, n));
      let d = tf.add(tf.mul(gk, cfg.gradScale), tf.mul(pk, cfg.weightDecay[k]));
      const buf = tf.add(tf.mul(bk, cfg.momentum[k]), d);
      d = tf.add(d, tf.mul(buf, cfg.momentum[k]));
      return [tf.sub(pk, tf.mul(d, cfg.lr[k])), buf];
    })
  );
  assert.deepEqual(got.params.flatMap((a) => Array.from(a)), [...want[0][0].dataSync(), ...want[1][0].dataSync()]);
  assert.deepEqual(got.buffers.flatMap((a) => Array.from(a!)), [...want[0][1].dataSync(), ...want[1][1].dataSync()]);
  tf.dispose([p, g, b, ...want.flat()]);
});
