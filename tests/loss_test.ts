// YOLOv9 loss: golden parity (cpu and wasm), a hand-computed single-anchor case, finite-difference
// gradients, branch weighting (dual / triple / lead-head guided), empty targets and tensor leaks.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { runLossCase } from "../lib/golden/loss.ts";
import { assertAllClose } from "../lib/testing/all_close.ts";
import { makeAnchors } from "../lib/head/anchors.ts";
import {
  assignBranch,
  bboxIouPlain,
  branchLoss,
  computeLoss,
  decodeBranch,
  type LossOptions,
  preprocessTargets,
} from "../lib/loss/mod.ts";
import { GOLDEN_DIR } from "../lib/testing/golden_dir.ts";
import { seededUniform } from "../lib/testing/random_model.ts";

const GOLDEN = `${GOLDEN_DIR}/`;
const BACKENDS = ["cpu", "wasm"];

const rng = seededUniform;

/** Random raw head outputs [B, H, W, 64 + nc] per level: box logits in +-2, class logits in [-4, 0). */
function randomPreds(seed: number, batch: number, shapes: [number, number][], nc: number): tf.Tensor4D[] {
  const next = rng(seed);
  return shapes.map(([h, w]) => {
    const data = new Float32Array(batch * h * w * (64 + nc));
    for (let i = 0; i < data.length; i++) data[i] = i % (64 + nc) < 64 ? 4 * next() - 2 : -4 * next();
    return tf.tensor4d(data, [batch, h, w, 64 + nc]);
  });
}

// Image 32x32, levels 4x4 (stride 8) and 2x2 (stride 16), nc = 3; image 1 has no objects.
const SMALL: LossOptions = { nc: 3, strides: [8, 16] };
const SMALL_SHAPES: [number, number][] = [[4, 4], [2, 2]];
const SMALL_TARGETS = new Float32Array([
  0,
  2,
  0.40,
  0.45,
  0.50,
  0.60,
  2,
  0,
  0.30,
  0.30,
  0.40,
  0.35,
  0,
  1,
  0.70,
  0.70,
  0.40,
  0.30,
  2,
  1,
  0.65,
  0.60,
  0.60,
  0.70,
]);

function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

for (const backend of BACKENDS) {
  Deno.test(`computeLoss() reproduces every golden loss case (${backend})`, async () => {
    await initBackend(backend, { quiet: true });
    let cases = 0;
    for (const entry of Deno.readDirSync(GOLDEN)) {
      if (!entry.name.endsWith(".json")) continue;
      const sidecar = JSON.parse(Deno.readTextFileSync(GOLDEN + entry.name));
      if (sidecar.case !== "loss") continue;
      const before = tf.memory().numTensors;
      const report = await runLossCase(GOLDEN_DIR, entry.name.replace(/\.json$/, ""), sidecar, {
        backend,
      });
      for (const c of report.checks) {
        assert.ok(c.pass, `${entry.name} ${c.name}: error ${c.error} > ${c.tol}`);
      }
      assert.ok(
        report.checks.some((c) => c.name.startsWith("empty.")),
        "the empty-target path must be checked",
      );
      assert.ok(report.checks.some((c) => /\.2\.bias$/.test(c.name)), "head bias gradients must be checked");
      assert.deepEqual(report.skipped, []); // every gradient is checked, the first conv through the network
      assert.equal(tf.memory().numTensors, before, "the golden handler must not leak tensors");
      cases++;
    }
    assert.ok(cases >= 2, `expected the golden loss cases, found ${cases}`);
  });
}

Deno.test("computeLoss() equals a hand computation for one anchor and one gt", async () => {
  await initBackend("cpu", { quiet: true });
  // One 1x1 level of stride 8 (image 8x8, anchor at grid (0.5, 0.5) = pixel (4, 4)); nc = 2.
  // Gt class 1, pixels [-8, -4, 16, 14] -> grid [-1, -0.5, 2, 1.75] -> DFL targets l, t, r, b = 1.5, 1, 1.5, 1.25.
  const targets = [0, 1, 0.5, 0.625, 3, 2.25];
  const want = [1.5, 1, 1.5, 1.25];
  const next = rng(7);
  const z = want.map((d) => Array.from({ length: 16 }, (_, j) => -2 * (j - d - 0.3) ** 2 + 0.2 * next()));
  const cls = [-1.0, 0.3];
  const raw = tf.tensor4d([...z.flat(), ...cls], [1, 1, 1, 66]);
  const res = computeLoss([raw], targets, { nc: 2, strides: [8] });
  const [total, items] = [res.total.dataSync()[0], res.items.dataSync()];
  // By hand (float64).
  const logSumExp = (v: number[]) => Math.log(v.reduce((s, x) => s + Math.exp(x), 0));
  const dist = z.map((v) => {
    const lse = logSumExp(v);
    return v.reduce((s, x, j) => s + j * Math.exp(x - lse), 0);
  });
  const predGrid = [0.5 - dist[0], 0.5 - dist[1], 0.5 + dist[2], 0.5 + dist[3]];
  const gtGrid = [-1, -0.5, 2, 1.75];
  const ciouPx = bboxIouPlain(gtGrid.map((v) => 8 * v), predGrid.map((v) => 8 * v), { kind: "ciou" });
  assert.ok(ciouPx > 0.5, `test setup: predicted box should be close, CIoU ${ciouPx}`);
  const metric = Math.sqrt(1 / (1 + Math.exp(-cls[1]))) * ciouPx ** 6;
  const score = metric * ciouPx / (metric + 1e-9);
  const s = Math.max(score, 1);
  const clsLoss = (softplus(cls[0]) + softplus(cls[1]) - cls[1] * score) / s;
  const boxLoss = (1 - bboxIouPlain(predGrid, gtGrid, { kind: "ciou" })) * score / s;
  const dflLoss = z.reduce((acc, v, k) => {
    const left = Math.floor(want[k]), wl = left + 1 - want[k];
    const lse = logSumExp(v);
    return acc + ((lse - v[left]) * wl + (lse - v[left + 1]) * (1 - wl)) / 4;
  }, 0) * score / s;
  const expected = [7.5 * boxLoss, 0.5 * clsLoss, 1.5 * dflLoss];
  assertAllClose(items, expected, { rtol: 1e-5, atol: 1e-6, msg: "items" });
  assert.ok(Math.abs(total - expected.reduce((a, b) => a + b)) < 1e-5 * total);
  assert.deepEqual(res.stats.fg, [1]);
  tf.dispose([raw, res.total, res.items]);
});

for (const backend of BACKENDS) {
  Deno.test(`computeLoss() gradients match finite differences of the loss with a frozen assignment (${backend})`, async () => {
    await initBackend(backend, { quiet: true });
    const batch = 3;
    const preds = randomPreds(11, batch, SMALL_SHAPES, SMALL.nc);
    const anchors = makeAnchors(SMALL_SHAPES, SMALL.strides);
    const targets = preprocessTargets(SMALL_TARGETS, { batch, imgSize: [32, 32] });
    const decoded = decodeBranch(preds, { anchors, nc: 3 });
    const frozen = assignBranch(decoded, { anchors, targets, nc: 3 });
    tf.dispose([decoded.distri, decoded.logits, decoded.boxes]);
    assert.ok(frozen.fgMask.some((v) => v), "the case needs foreground anchors");
    // One term at a time (smaller loss values, less float32 noise in the differences). The box (CIoU)
    // term is left out: its reference gradient treats alpha as a constant (checked in box_ops_test).
    const terms = [
      { name: "dfl" as const, gains: { box: 0, cls: 0, dfl: 1.5 }, channels: (c: number) => c < 64 },
      { name: "cls" as const, gains: { box: 0, cls: 0.5, dfl: 0 }, channels: (c: number) => c >= 64 },
    ];
    for (const term of terms) {
      const grads = tf.grads((...p: tf.Tensor[]) =>
        computeLoss(p, SMALL_TARGETS, { ...SMALL, gains: term.gains }).total
      )(preds);
      const gain = term.gains[term.name];
      const loss = (p: tf.Tensor[]) =>
        tf.tidy(() =>
          gain *
          branchLoss(decodeBranch(p, { anchors, nc: 3 }), frozen, { anchors })[term.name].dataSync()[0] *
          batch
        );
      // The entries of largest analytic gradient in the term's channels, plus two arbitrary ones.
      const picks: [number, number][] = [];
      grads.forEach((g, l) => {
        const d = g.dataSync();
        const order = [...d.keys()].filter((i) => term.channels(i % 67)).sort((a, b) =>
          Math.abs(d[b]) - Math.abs(d[a])
        );
        for (const i of [...order.slice(0, 6), order[order.length >> 1], order[order.length - 1]]) {
          picks.push([l, i]);
        }
      });
      const h = 1e-2;
      for (const [l, i] of picks) {
        const base = preds[l].dataSync().slice();
        const at = (delta: number) => {
          const v = base.slice();
          v[i] += delta;
          const moved = preds.map((p, j) => (j === l ? tf.tensor4d(v, p.shape) : p));
          const out = loss(moved);
          moved[l].dispose();
          return out;
        };
        const fd = (at(h) - at(-h)) / (2 * h);
        const g = grads[l].dataSync()[i];
        assert.ok(
          Math.abs(fd - g) <= 1e-2 * Math.abs(g) + 5e-5,
          `${term.name} level ${l} entry ${i}: grad ${g}, FD ${fd}`,
        );
      }
      tf.dispose(grads);
    }
    tf.dispose(preds);
  });
}

Deno.test("computeLoss() weights branches 0.25/1 (dual), 0.25/0.25/1 (triple), and LHG uses the main assignment", async () => {
  await initBackend("cpu", { quiet: true });
  const [b0, b1, b2] = [1, 2, 3].map((s) => randomPreds(s, 3, SMALL_SHAPES, SMALL.nc));
  const items = (p: tf.Tensor[] | tf.Tensor[][], o: Partial<LossOptions> = {}) =>
    tf.tidy(() => computeLoss(p, SMALL_TARGETS, { ...SMALL, ...o }).items.dataSync());
  const [i0, i1, i2] = [items(b0), items(b1), items(b2)];
  assertAllClose(items([b0, b1]), i0.map((v, k) => 0.25 * v + i1[k]), { rtol: 1e-5, msg: "dual" });
  assertAllClose(items([b0, b1, b2]), i0.map((v, k) => 0.25 * v + 0.25 * i1[k] + i2[k]), {
    rtol: 1e-5,
    msg: "triple",
  });
  assertAllClose(items([b0, b1], { branchWeights: [1, 2] }), i0.map((v, k) => v + 2 * i1[k]), {
    rtol: 1e-5,
    msg: "weights",
  });
  assertAllClose(items(b1, { gains: { box: 1, cls: 2, dfl: 3 } }), [i1[0] / 7.5, i1[1] * 4, i1[2] * 2], {
    rtol: 1e-5,
  });
  // Lead-head guided: branch 0 trained on branch 1's assignment.
  const anchors = makeAnchors(SMALL_SHAPES, SMALL.strides);
  const targets = preprocessTargets(SMALL_TARGETS, { batch: 3, imgSize: [32, 32] });
  const aux = tf.tidy(() => {
    const lead = assignBranch(decodeBranch(b1, { anchors, nc: 3 }), { anchors, targets, nc: 3 });
    const t = branchLoss(decodeBranch(b0, { anchors, nc: 3 }), lead, { anchors });
    return [t.box, t.cls, t.dfl].map((x) => x.dataSync()[0]);
  });
  const lhg = items([b0, b1], { lhg: true });
  assertAllClose(lhg, [7.5, 0.5, 1.5].map((g, k) => g * (0.25 * aux[k]) + i1[k]), { rtol: 1e-5, msg: "lhg" });
  assert.notDeepEqual([...lhg], [...items([b0, b1])]);
  assertAllClose(items([b1, b1], { lhg: true }), items([b1, b1]), {
    rtol: 1e-6,
    msg: "lhg with equal branches",
  });
  tf.dispose([...b0, ...b1, ...b2]);
});

Deno.test("computeLoss() with no targets: only the class loss, S = 1, on arrays and (0, 6) tensors", async () => {
  await initBackend("cpu", { quiet: true });
  const preds = randomPreds(5, 2, SMALL_SHAPES, SMALL.nc);
  let sp = 0;
  for (const p of preds) {
    const d = p.dataSync();
    for (let i = 0; i < d.length; i++) if (i % 67 >= 64) sp += softplus(d[i]);
  }
  for (const targets of [new Float32Array(0), tf.zeros([0, 6]) as tf.Tensor2D]) {
    const res = computeLoss(preds, targets, SMALL);
    assertAllClose(res.items.dataSync(), [0, 0.5 * sp, 0], { rtol: 1e-5, atol: 0 });
    assert.ok(Math.abs(res.total.dataSync()[0] - 2 * 0.5 * sp) < 1e-5 * sp);
    assert.deepEqual(res.stats.fg, [0]);
    tf.dispose([res.total, res.items, targets as tf.Tensor]);
  }
  assert.throws(() => computeLoss(preds, [5, 0, 0.5, 0.5, 0.1, 0.1], SMALL), /image index 5/);
  assert.throws(() => computeLoss(preds, [], { ...SMALL, nc: 4 }), /channels/);
  tf.dispose(preds);
});

for (const backend of BACKENDS) {
  Deno.test(`computeLoss() + gradients leak no tensors over repeated calls (${backend})`, async () => {
    await initBackend(backend, { quiet: true });
    const preds = [randomPreds(8, 3, SMALL_SHAPES, SMALL.nc), randomPreds(9, 3, SMALL_SHAPES, SMALL.nc)];
    const step = () => {
      const { value, grads } = tf.valueAndGrads((...p: tf.Tensor[]) =>
        computeLoss([p.slice(0, 2), p.slice(2)], SMALL_TARGETS, SMALL).total
      )(preds.flat());
      const plain = computeLoss(preds, SMALL_TARGETS, { ...SMALL, lhg: true });
      tf.dispose([value, ...grads, plain.total, plain.items]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(preds.flat());
  });
}
