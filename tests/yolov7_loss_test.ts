// YOLOv7's ComputeLossOTA: hand-built cases with known candidates, matches and losses; the official
// PyTorch loss and its gradients on a random 2-image batch (tests/fixtures/yolov7/loss.*, written by
// scripts/golden_yolov7.py); finite differences through a tiny anchor-based model; the assignment read
// beforehand with await (as on webgpu) against the loss that assigns inside.
import * as tf from "@tensorflow/tfjs";
import { deepEqual, equal, ok } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { findCandidates } from "../lib/loss/yolov7_candidates.ts";
import { assignOta, type LevelMatches } from "../lib/loss/yolov7_assign.ts";
import { yolov7Gains, yolov7HypFor, yolov7Loss } from "../lib/loss/yolov7_ota.ts";
import { readSafetensors } from "../lib/io/safetensors.ts";
import { toFloat32 } from "../lib/io/raw_tensor.ts";
import { relMaxError } from "../lib/testing/all_close.ts";
import { gradCheck } from "../lib/testing/grad_check.ts";
import { parseModelConfig } from "../lib/graph/config.ts";
import { buildModelSpec } from "../lib/models/build.ts";
import { initWeights } from "../lib/graph/init.ts";
import { forwardModel } from "../lib/models/model.ts";
import { assignObjective, objectiveLoss } from "../lib/models/objective.ts";
import { disposeWeights } from "../lib/graph/weights.ts";
import { getPath, mapTree, type Tree } from "../lib/nn/tree.ts";

await initBackend("wasm", { quiet: true });

const list = (a: ArrayLike<number>) => Array.from(a);
const softplus = (x: number) => Math.log1p(Math.exp(x));
/** A level's matches without its last positive. */
const dropLast = (m: LevelMatches): LevelMatches => {
  const n = m.b.length - 1;
  return { b: m.b.slice(0, n), a: m.a.slice(0, n), gj: m.gj.slice(0, n), gi: m.gi.slice(0, n), anchor: m.anchor.slice(0, 2 * n), row: m.row.slice(0, n) };
};

Deno.test("find_3_positive: anchor ratio filter and the two nearest neighbour cells, in the reference's order", () => {
  // 8x8 grid; target centre (2.4, 5.6), size 1 x 1 cell. Anchors 1x1 (ratio 1), 4.5x1 (ratio 4.5 >= 4: out),
  // 0.3x0.3 (ratio 3.33: in). x in the left half of its cell -> left neighbour; y in the lower half -> down.
  const rows = [0, 1, 0.3, 0.7, 0.125, 0.125];
  const [c] = findCandidates(rows, [{ h: 8, w: 8, anchors: [[1, 1], [4.5, 1], [0.3, 0.3]] }], 4.0);
  deepEqual(list(c.a), [0, 2, 0, 2, 0, 2]);
  deepEqual(list(c.gi), [2, 2, 1, 1, 2, 2]);
  deepEqual(list(c.gj), [5, 5, 5, 5, 6, 6]);
  deepEqual(list(c.row), [0, 0, 0, 0, 0, 0]);
  // A centre in the border cell (x = 0.3 < 1) gets no neighbour there; exactly half-way (.5) none either.
  const [d] = findCandidates([0, 0, 0.3 / 8, 1.5 / 8, 0.125, 0.125], [{ h: 8, w: 8, anchors: [[1, 1]] }], 4.0);
  deepEqual([list(d.gi), list(d.gj)], [[0], [1]]);
  // x = 0.9: the right half of the cell, away from the far border -> the right neighbour.
  const [e] = findCandidates([0, 0, 0.9 / 8, 1.5 / 8, 0.125, 0.125], [{ h: 8, w: 8, anchors: [[1, 1]] }], 4.0);
  deepEqual([list(e.gi), list(e.gj)], [[0, 1], [1, 1]]);
});

/** Raw outputs of one 4x4 level, one anchor, nc = 2: zeros (boxes at the cell centres, anchor-sized). */
function level(set: Record<number, number> = {}): Float32Array {
  const v = new Float32Array(4 * 4 * 7);
  for (const [k, x] of Object.entries(set)) v[Number(k)] = x;
  return v;
}
const cell = (gi: number, gj: number) => (gj * 4 + gi) * 7;

Deno.test("OTA assignment: a contested candidate goes to the target of lowest cost (IoU and class)", () => {
  // One prediction (cell 1,1; box = the anchor, 16x16 px centred at 24,24), a candidate column once per target.
  // Target A equals it (IoU 1 with both columns: k = 2), target B is twice as wide (IoU 0.5: k = 1, the first
  // column). Same class: A is cheaper on the contested column 0. B's class predicted with high confidence
  // (class cost of A ~ 9, of B ~ 0.05; IoU cost of B 3 ln 2): B is cheaper and takes column 0.
  const rows = [0, 0, 24 / 64, 24 / 64, 16 / 64, 16 / 64, 0, 1, 24 / 64, 24 / 64, 32 / 64, 16 / 64];
  const geo = [{ h: 4, w: 4, anchors: [[1, 1]] as [number, number][] }];
  const cands = findCandidates(rows, geo, 4.0);
  // Each target reaches cell (1, 1) only: centres at 1.5 are in neither half of their cell.
  deepEqual(list(cands[0].gi), [1, 1]);
  const at = (v: Float32Array) => assignOta(rows, cands, [{ data: v, h: 4, w: 4, na: 1, no: 7, stride: 16 }], { nc: 2, batch: 1, imgSize: 64 });
  const same = at(level());
  deepEqual(list(same[0].row), [0, 0]);
  const c = cell(1, 1);
  const confident = at(level({ [c + 4]: 6, [c + 5]: -6, [c + 6]: 6 }));
  deepEqual(list(confident[0].row), [1, 0]);
  deepEqual([list(confident[0].gi), list(confident[0].gj), list(confident[0].b)], [[1, 1], [1, 1], [0, 0]]);
});

Deno.test("YOLOv7 loss on hand-built predictions equals its closed form", () => {
  // One 4x4 level, stride 16, anchor 16x16 px; target 32x16 px centred on cell (1, 1); all logits 0 except the
  // objectness of that cell (2.0). Box: 1 - CIoU of a 1x1 and a 2x1 box with the same centre.
  const rows = [0, 1, 24 / 64, 24 / 64, 32 / 64, 16 / 64];
  const c = cell(1, 1);
  const pred = tf.tensor4d(level({ [c + 4]: 2 }), [1, 4, 4, 7]);
  const gains = { box: 1, obj: 1, cls: 1 };
  const r = yolov7Loss([pred], rows, { nc: 2, strides: [16], anchors: [[16, 16]], gains });
  deepEqual(r.positives, [1]);
  const eps = 1e-7;
  const iou = 1 / (2 * (1 + eps) + 1 * (1 + eps) - 1 + eps);
  const v = (4 / Math.PI ** 2) * (Math.atan(2 / (1 + 2 * eps)) - Math.atan(1 / (1 + 2 * eps))) ** 2;
  const ciou = iou - v * (v / (v - iou + 1 + eps));
  const lobj = 4 * ((15 * Math.LN2 + (1 - ciou) * 2 + softplus(-2)) / 16); // balance[0] = 4 for one level
  const want = [1 - ciou, lobj, Math.LN2];
  const got = list(r.items.dataSync());
  want.forEach((w, k) => ok(Math.abs(got[k] - w) < 1e-5, `item ${k}: ${got[k]} vs ${w}`));
  ok(Math.abs(r.total.dataSync()[0] - want.reduce((s, x) => s + x, 0)) < 1e-5);
  // train.py's gain scaling.
  const g0 = yolov7Gains({ box: 0.05, obj: 0.7, cls: 0.3 }, { nc: 80, nl: 3, img: 640 });
  ok(Math.abs(g0.box - 0.05) < 1e-12 && Math.abs(g0.obj - 0.7) < 1e-12 && Math.abs(g0.cls - 0.3) < 1e-12);
  const g = yolov7Gains({ box: 0.05, obj: 0.7, cls: 0.3 }, { nc: 8, nl: 2, img: 320 });
  ok(Math.abs(g.box - 0.075) < 1e-12 && Math.abs(g.cls - 0.045) < 1e-12 && Math.abs(g.obj - 0.2625) < 1e-12);
  // yolov7HypFor undoes the nc and image-size factors: 3 levels then give back the strength asked for.
  const h = yolov7HypFor({ cls: 0.3, obj: 0.7 }, { nc: 10, img: 64 });
  ok(Math.abs(h.cls - 2.4) < 1e-12 && Math.abs(h.obj - 70) < 1e-9, JSON.stringify(h));
  const back = yolov7Gains({ box: 0.05, ...h }, { nc: 10, nl: 3, img: 64 });
  ok(Math.abs(back.cls - 0.3) < 1e-12 && Math.abs(back.obj - 0.7) < 1e-12 && Math.abs(back.box - 0.05) < 1e-12);
  tf.dispose([pred, r.total, r.items]);
});

Deno.test("YOLOv7 loss, its items and gradients equal the official ComputeLossOTA (2 images, 3 levels)", async () => {
  const dir = new URL("./fixtures/yolov7/", import.meta.url).pathname;
  const meta = JSON.parse(await Deno.readTextFile(`${dir}loss.json`));
  const file = await readSafetensors(`${dir}loss.safetensors`);
  const get = (k: string) => toFloat32(file.tensors.get(k)!);
  const shape = (k: string) => file.tensors.get(k)!.shape;
  const preds = [0, 1, 2].map((i) => tf.tensor4d(get(`pred.${i}`), shape(`pred.${i}`) as [number, number, number, number]));
  const rows = get("targets");
  const opts = { nc: meta.nc, strides: meta.strides, anchors: meta.anchors, gains: meta.gains };
  const before = tf.memory().numTensors;
  let items: number[] = [];
  let positives: number[] = [];
  const { value, grads } = tf.valueAndGrads((...p: tf.Tensor[]) => {
    const r = yolov7Loss(p, rows, opts);
    items = list(r.items.dataSync());
    positives = r.positives;
    return r.total;
  })(preds);
  const want = list(get("items"));
  ok(positives.every((n) => n > 0), `positives ${positives}`);
  items.forEach((v, k) => ok(Math.abs(v - want[k]) <= 1e-5 * Math.abs(want[k]) + 1e-7, `item ${k}: ${v} vs ${want[k]}`));
  ok(Math.abs(value.dataSync()[0] - get("loss")[0]) <= 1e-5 * get("loss")[0]);
  grads.forEach((g, i) => {
    const e = relMaxError(g.dataSync(), get(`grad.${i}`));
    ok(e < 1e-4, `grad level ${i}: ${e}`);
  });
  tf.dispose([value, ...grads, ...preds]);
  equal(tf.memory().numTensors, before - 3);
});

const TINY = `nc: 2
depth_multiple: 1.0
width_multiple: 1.0
anchors:
  - [12, 16, 19, 36]
  - [40, 28, 36, 75]
backbone:
  - [-1, 1, Conv, [8, 3, 2]]
  - [-1, 1, Conv, [16, 3, 2]]
  - [-1, 1, MP, []]
  - [-1, 1, Conv, [16, 1, 1]]
  - [-3, 1, Conv, [16, 3, 2]]
  - [[-1, -2], 1, Concat, [1]]
head:
  - [1, 1, RepConv, [16, 3, 2]]
  - [5, 1, RepConv, [24, 3, 2]]
  - [[6, 7], 1, IDetect, [nc, anchors]]
`;

// The reference's gradient treats the objectness target (the CIoU) and CIoU's alpha as constants, so finite
// differences of the loss value match it where those do not move: objectness target 1 (gr = 0) and the box
// term off. The box gradient is checked against the official one above.
Deno.test("YOLOv7 loss (objectness, classes) through a tiny anchor-based model: gradients match finite differences", async () => {
  const spec = buildModelSpec(parseModelConfig(TINY, "tiny-yolov7.yaml"));
  deepEqual(spec.strides, [8, 16]);
  const weights = initWeights(spec, { seed: 5 });
  // One 32x32 image (4x4 and 2x2 cells): few terms in each mean, so the loss moves well above float32 noise.
  const x = tf.randomUniform([1, 32, 32, 3], 0, 1, "float32", 11) as tf.Tensor4D;
  const rows = [0, 1, 0.4, 0.45, 0.5, 0.6, 0, 0, 0.7, 0.3, 0.4, 0.45, 0, 1, 0.5, 0.5, 0.95, 0.9];
  let positives: number[] = [];
  const names = ["model.0.conv.weight", "model.6.rbr_1x1.0.weight", "model.8.ia.1.implicit", "model.8.m.0.weight"];
  const f = (...ps: tf.Tensor[]): tf.Scalar => {
    const tree = mapTree(weights, (t, n) => (names.includes(n) ? ps[names.indexOf(n)] : t)) as Tree<tf.Tensor>;
    const { heads } = forwardModel(spec, tree, x);
    const anchors = spec.layers[8].args.anchors as number[][];
    const r = yolov7Loss(heads[0], rows, { nc: 2, strides: spec.strides, anchors, gr: 0, gains: { box: 0, obj: 0.2, cls: 1 } });
    positives = r.positives;
    r.items.dispose();
    return r.total;
  };
  const res = await gradCheck(f, names.map((n) => getPath(weights, n) as tf.Tensor), { samples: 6, eps: 4e-2, floor: 1e-3 });
  ok(res.maxRelError < 1.5e-2, JSON.stringify(res));
  ok(positives.every((n) => n > 0), `positives on every level, got ${positives}`);
  disposeWeights(weights);
  x.dispose();
});

// trainStepAsync on webgpu: the OTA matches come from an untaped forward pass read with await, and the
// differentiated loss reads nothing. On the same weights that equals the loss that assigns inside.
Deno.test("YOLOv7 objective with matches from assignObjective (awaited reads) equals the synchronous loss: items and gradients", async () => {
  for (const backend of ["cpu", "wasm"]) {
    await initBackend(backend, { quiet: true });
    const spec = buildModelSpec(parseModelConfig(TINY, "tiny-yolov7.yaml"));
    const weights = initWeights(spec, { seed: 3 });
    const x = tf.randomUniform([2, 64, 64, 3], 0, 1, "float32", 7) as tf.Tensor4D;
    const rows = [0, 1, 0.4, 0.45, 0.5, 0.6, 0, 0, 0.7, 0.3, 0.2, 0.25, 1, 1, 0.5, 0.5, 0.3, 0.4, 1, 0, 0.2, 0.8, 0.1, 0.15];
    const names = ["model.0.conv.weight", "model.6.rbr_dense.0.weight", "model.8.ia.0.implicit", "model.8.m.1.weight", "model.8.m.1.bias"];
    const before = tf.memory().numTensors;
    const heads = tf.tidy(() => forwardModel(spec, weights, x, { training: true }).heads);
    const pre = await assignObjective(spec, heads, rows, { hyp: { label_smoothing: 0.1 } });
    tf.dispose(heads);
    ok(pre.matches!.every((m) => m.b.length > 0), `positives on every level, got ${pre.matches!.map((m) => m.b.length)}`);
    const run = (p: typeof pre) => {
      let items: number[] = [];
      const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
        const tree = mapTree(weights, (t, n) => (names.includes(n) ? ps[names.indexOf(n)] : t)) as Tree<tf.Tensor>;
        const { heads } = forwardModel(spec, tree, x, { training: true });
        const r = objectiveLoss(spec, heads, rows, { hyp: { label_smoothing: 0.1 }, ...p });
        items = list(r.items.dataSync());
        return r.total;
      })(names.map((n) => getPath(weights, n) as tf.Tensor));
      const out = { total: value.dataSync()[0], items, grads: grads.map((g) => list(g.dataSync())) };
      tf.dispose([value, ...grads]);
      return out;
    };
    const sync = run({}), given = run(pre);
    ok(sync.items.every((v) => v > 0), `items ${sync.items}`);
    deepEqual(given, sync, backend);
    ok(sync.grads.every((g) => g.some((v) => v !== 0)), "every checked parameter has a gradient");
    // The given matches are the ones used: without the last positive of level 0 the items change.
    const fewer = pre.matches!.map((m, i) => i ? m : dropLast(m));
    ok(run({ matches: fewer }).items[0] !== sync.items[0]);
    equal(tf.memory().numTensors, before, `${backend}: no tensors leak`);
    disposeWeights(weights);
    x.dispose();
  }
  await initBackend("wasm", { quiet: true });
});
