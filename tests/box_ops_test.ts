// Box operations, anchors and head decoding: analytic values, properties, golden decoded outputs.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { readSafetensors } from "../lib/io/safetensors.ts";
import { toFloat32 } from "../lib/io/raw_tensor.ts";
import { assertAllClose, relMaxError } from "../lib/testing/all_close.ts";
import { makeAnchors } from "../lib/head/anchors.ts";
import { decodeHead, dflExpectation, dist2bbox } from "../lib/head/decode.ts";
import { bbox2dist, bboxIou, bboxIouPlain, type IouKind, xywh2xyxy, xyxy2xywh } from "../lib/loss/mod.ts";
import { GOLDEN_DIR } from "../lib/testing/golden_dir.ts";
import { seededUniform } from "../lib/testing/random_model.ts";

const GOLDEN = `${GOLDEN_DIR}/`;
const KINDS: IouKind[] = ["iou", "giou", "diou", "ciou"];

const rng = seededUniform;

/** n random xyxy boxes inside [0, 100]^2 with sides in [1, 41). */
function randomBoxes(n: number, next: () => number): Float32Array {
  const out = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    const [x, y, w, h] = [next() * 60, next() * 60, 1 + next() * 40, 1 + next() * 40];
    out.set([x, y, x + w, y + h], 4 * i);
  }
  return out;
}

await initBackend("cpu", { quiet: true });

Deno.test("makeAnchors() gives cell centres, level-major then row-major, with per-anchor strides", () => {
  const a = makeAnchors([[2, 3], [1, 2]], [8, 16]);
  assert.equal(a.count, 8);
  assert.deepEqual([...a.points], [
    0.5,
    0.5,
    1.5,
    0.5,
    2.5,
    0.5,
    0.5,
    1.5,
    1.5,
    1.5,
    2.5,
    1.5,
    0.5,
    0.5,
    1.5,
    0.5,
  ]);
  assert.deepEqual([...a.strides], [8, 8, 8, 8, 8, 8, 16, 16]);
  assert.equal(makeAnchors([[8, 8], [4, 4], [2, 2]], [8, 16, 32]).count, 84);
  assert.throws(() => makeAnchors([[2, 2]], [8, 16]), RangeError);
});

Deno.test("bboxIou() matches hand-computed IoU / GIoU / DIoU / CIoU (reference eps placement)", () => {
  const eps = 1e-7;
  const a = [0, 0, 2, 2], b = [1, 1, 3, 3];
  const union = 2 * (2 + eps) * 2 - 1 + eps; // w1*h1 + w2*h2 - inter + eps, heights carry + eps
  const iou = 1 / union;
  const expected: Record<IouKind, number> = {
    iou,
    giou: iou - (9 + eps - union) / (9 + eps),
    diou: iou - 2 / (18 + eps),
    ciou: iou - 2 / (18 + eps), // same aspect ratio: v = 0
  };
  // Different aspect ratios: [0,0,4,2] vs [1,0,3,4] -> inter 2*2 = 4, v from atan(w/h).
  const c = [0, 0, 4, 2], d = [1, 0, 3, 4];
  const u2 = 4 * (2 + eps) + 2 * (4 + eps) - 4 + eps;
  const iou2 = 4 / u2;
  const v = (4 / Math.PI ** 2) * (Math.atan(2 / (4 + eps)) - Math.atan(4 / (2 + eps))) ** 2;
  const ciou2 = iou2 -
    (((1 + 3 - 0 - 4) ** 2 + (0 + 4 - 0 - 2) ** 2) / 4 / (16 + 16 + eps) + v * v / (v - iou2 + 1 + eps));
  for (const kind of KINDS) {
    const got = tf.tidy(() => bboxIou(tf.tensor1d(a), tf.tensor1d(b), { kind }).dataSync()[0]);
    assert.ok(Math.abs(got - expected[kind]) < 1e-6, `${kind}: ${got} vs ${expected[kind]}`);
    assert.ok(Math.abs(bboxIouPlain(a, b, { kind }) - expected[kind]) < 1e-12, `${kind} plain`);
  }
  const got2 = tf.tidy(() => bboxIou(tf.tensor1d(c), tf.tensor1d(d), { kind: "ciou" }).dataSync()[0]);
  assert.ok(Math.abs(got2 - ciou2) < 1e-6, `ciou aspect: ${got2} vs ${ciou2}`);
  // xywh input gives the same IoU as the equivalent xyxy boxes (no eps on the heights there).
  const xywh = tf.tidy(() =>
    bboxIou(tf.tensor1d([1, 1, 2, 2]), tf.tensor1d([2, 2, 2, 2]), { xywh: true }).dataSync()[0]
  );
  assert.ok(Math.abs(xywh - 1 / (7 + eps)) < 1e-6);
});

Deno.test("bboxIou() is symmetric, broadcasts, and equals bboxIouPlain() on random boxes", () => {
  const next = rng(1);
  const n = 200;
  const b1 = randomBoxes(n, next), b2 = randomBoxes(n, next);
  for (const kind of KINDS) {
    const [ab, ba] = tf.tidy(() => {
      const [t1, t2] = [tf.tensor2d(b1, [n, 4]), tf.tensor2d(b2, [n, 4])];
      return [bboxIou(t1, t2, { kind }).dataSync(), bboxIou(t2, t1, { kind }).dataSync()];
    });
    const plain = Array.from(
      { length: n },
      (_, i) => bboxIouPlain(b1, b2, { kind, offset1: 4 * i, offset2: 4 * i }),
    );
    assertAllClose(ab, ba, { rtol: 0, atol: 1e-6, msg: `${kind} symmetry` });
    assertAllClose(ab, plain, { rtol: 0, atol: 2e-6, msg: `${kind} tensor vs plain` });
    for (const v of ab) {
      assert.ok(v <= 1 + 1e-6 && v >= (kind === "iou" ? 0 : -1 - 1e-6), `${kind} range ${v}`);
    }
  }
  // Broadcasting [3, 1, 4] x [1, 5, 4] -> [3, 5].
  const shape = tf.tidy(() =>
    bboxIou(tf.tensor3d(b1.slice(0, 12), [3, 1, 4]), tf.tensor3d(b2.slice(0, 20), [1, 5, 4])).shape
  );
  assert.deepEqual(shape, [3, 5]);
});

Deno.test("bboxIou() CIoU gradient treats alpha as a constant (finite differences with alpha frozen)", () => {
  const pred = [1.3, 0.7, 5.1, 3.2], target = [1.0, 1.0, 4.0, 4.5];
  const alpha0 = (() => {
    const eps = 1e-7;
    const [w1, h1, w2, h2] = [
      pred[2] - pred[0],
      pred[3] - pred[1] + eps,
      target[2] - target[0],
      target[3] - target[1] + eps,
    ];
    const v = (4 / Math.PI ** 2) * (Math.atan(w2 / h2) - Math.atan(w1 / h1)) ** 2;
    return v / (v - bboxIouPlain(pred, target) + 1 + eps);
  })();
  // CIoU with a frozen alpha = DIoU - v * alpha0, in float64.
  const frozen = (p: number[]) => {
    const eps = 1e-7;
    const [w1, h1, w2, h2] = [
      p[2] - p[0],
      p[3] - p[1] + eps,
      target[2] - target[0],
      target[3] - target[1] + eps,
    ];
    const v = (4 / Math.PI ** 2) * (Math.atan(w2 / h2) - Math.atan(w1 / h1)) ** 2;
    return bboxIouPlain(p, target, { kind: "diou" }) - v * alpha0;
  };
  const g = tf.tidy(() =>
    tf.grad((p: tf.Tensor) => bboxIou(p, tf.tensor1d(target), { kind: "ciou" }))(tf.tensor1d(pred)).dataSync()
  );
  const h = 1e-6;
  const fd = pred.map((_, i) => {
    const [pp, pm] = [[...pred], [...pred]];
    pp[i] += h;
    pm[i] -= h;
    return (frozen(pp) - frozen(pm)) / (2 * h);
  });
  assertAllClose(g, fd, { rtol: 1e-3, atol: 1e-5, msg: "CIoU grad" });
  assert.ok(alpha0 > 0.01, "the test case must have a non-trivial alpha");
});

Deno.test("xywh2xyxy() / xyxy2xywh() and dist2bbox() / bbox2dist() round-trip", () => {
  const next = rng(2);
  const n = 100;
  const boxes = randomBoxes(n, next);
  tf.tidy(() => {
    const t = tf.tensor2d(boxes, [n, 4]);
    assertAllClose(xywh2xyxy(xyxy2xywh(t)).dataSync(), boxes, { rtol: 0, atol: 1e-4 });
    const xywh = xyxy2xywh(t).dataSync();
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(xywh[4 * i] - (boxes[4 * i] + boxes[4 * i + 2]) / 2) < 1e-4);
      assert.ok(Math.abs(xywh[4 * i + 2] - (boxes[4 * i + 2] - boxes[4 * i])) < 1e-4);
    }
    // Distances within [0, 14.99] survive dist -> box -> dist; larger ones are clamped to 14.99.
    const dist = tf.tensor2d(Array.from({ length: 4 * n }, () => next() * 14.9), [n, 4]);
    const anchors = tf.tensor2d(Array.from({ length: 2 * n }, () => 10 + next() * 50), [n, 2]);
    assertAllClose(bbox2dist(anchors, dist2bbox(dist, anchors)).dataSync(), dist.dataSync(), {
      rtol: 0,
      atol: 1e-4,
    });
    const far = bbox2dist(tf.tensor2d([[10, 10]]), tf.tensor2d([[-20, 9, 12, 40]])).dataSync();
    assertAllClose(far, [14.99, 1, 2, 14.99], { rtol: 0, atol: 1e-5 });
    const xywhOut = dist2bbox(tf.tensor2d([[1, 2, 3, 4]]), tf.tensor2d([[10, 20]]), { xywh: true })
      .dataSync();
    assertAllClose(xywhOut, [11, 21, 4, 6], { rtol: 0, atol: 1e-6 });
  });
});

Deno.test("dflExpectation() is the softmax expectation over 16 bins", () => {
  tf.tidy(() => {
    const logits = new Float32Array(64);
    logits[3] = 50; // side 0 peaked at bin 3
    logits[16 + 15] = 50; // side 1 peaked at bin 15
    for (let j = 0; j < 16; j++) logits[32 + j] = 0; // side 2 uniform -> 7.5
    logits[48 + 4] = Math.log(3); // side 3: bins 4 and 5 with weights 3:1 -> 4.25
    logits[48 + 5] = 0;
    for (let j = 0; j < 16; j++) if (j !== 4 && j !== 5) logits[48 + j] = -1e4;
    assertAllClose(dflExpectation(tf.tensor2d(logits, [1, 64])).dataSync(), [3, 15, 7.5, 4.25], {
      rtol: 0,
      atol: 1e-4,
    });
  });
});

for (const backend of ["cpu", "wasm"]) {
  Deno.test(`decodeHead() reproduces the golden decoded outputs from the raw outputs (${backend})`, async () => {
    await initBackend(backend, { quiet: true });
    let cases = 0;
    for (const entry of Deno.readDirSync(GOLDEN)) {
      if (!entry.name.endsWith(".json")) continue;
      const sidecar = JSON.parse(Deno.readTextFileSync(GOLDEN + entry.name));
      if (sidecar.case !== "forward") continue;
      const { tensors } = await readSafetensors(GOLDEN + entry.name.replace(/\.json$/, ".safetensors"));
      for (const name of [...tensors.keys()].filter((k) => /^out\.decoded(\.\d+)?$/.test(k))) {
        const suffix = name.slice("out.decoded".length);
        const raws = [...tensors.keys()].filter((k) => k.startsWith(`out.raw${suffix}.`) && /\.\d+$/.test(k))
          .sort();
        const ref = toFloat32(tensors.get(name)!);
        const got = tf.tidy(() => {
          const levels = raws.map((k) => {
            const t = tensors.get(k)!;
            return tf.transpose(tf.tensor4d(toFloat32(t), t.shape as [number, number, number, number]), [
              0,
              2,
              3,
              1,
            ]);
          });
          const out = decodeHead(levels, { strides: sidecar.model.strides });
          assert.deepEqual(out.shape, tensors.get(name)!.shape);
          return tf.keep(out);
        });
        const gotData = got.dataSync();
        got.dispose();
        const err = relMaxError(gotData, ref);
        assert.ok(err < 2e-5, `${entry.name} ${name}: error ${err}`);
        cases++;
      }
    }
    assert.ok(cases >= 2, `expected golden forward cases, found ${cases}`);
  });
}
