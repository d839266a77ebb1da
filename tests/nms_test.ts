/**
 * NMS (utils/general.py non_max_suppression + torchvision nms): golden parity for every variant, the
 * reference's order on tied scores, options, the libstdc++/NumPy sort replays, and box-helper properties.
 */
import assert from "node:assert/strict";
import { runNmsCase } from "../lib/golden/nms.ts";
import { listCases } from "../lib/golden/runner.ts";
import { GOLDEN_DIR } from "../lib/testing/golden_dir.ts";
import {
  boxIouMatrixF32,
  cocoBoxIou,
  nmsIouF32,
  nonMaxSuppression,
  numpyArgsort,
  stableArgsortDescending,
  torchArgsortDescending,
  torchvisionNms,
  xywhToXyxyF32,
  xyxyToXywhF32,
} from "../lib/eval/mod.ts";

Deno.test("nms golden cases: every variant, rows, order and values exact", async () => {
  const cases = await listCases(GOLDEN_DIR, ["nms"]);
  assert.ok(cases.length > 0, `no nms case in ${GOLDEN_DIR}`);
  for (const c of cases) {
    const rep = await runNmsCase(GOLDEN_DIR, c.stem, c.sidecar, {});
    for (const v of c.sidecar.variants as { name: string }[]) {
      assert.ok(rep.checks.some((k) => k.name.startsWith(`out.${v.name}.`)), `variant ${v.name} checked`);
    }
    for (const k of rep.checks) {
      assert.ok(k.pass && k.error === 0, `${c.stem} ${k.name}: error ${k.error} (${k.note})`);
    }
  }
});

/** Deterministic tie-heavy input (rebuildable without RNG): 40 anchors, 3 classes, scores in quarters. */
function lcg(seed: number, n: number): number[] {
  let x = BigInt(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245n + 12345n) % 2147483648n;
    out.push(Number(x >> 8n));
  }
  return out;
}
const A = 40, NC = 3;
const r = lcg(11, 7 * A);
const TIE_INPUT = new Float32Array((4 + NC) * A);
for (let a = 0; a < A; a++) {
  TIE_INPUT[a] = 40 + 8 * (r[7 * a] % 8);
  TIE_INPUT[A + a] = 40 + 8 * (r[7 * a + 1] % 6);
  TIE_INPUT[2 * A + a] = 16 + 4 * (r[7 * a + 2] % 6);
  TIE_INPUT[3 * A + a] = 16 + 4 * (r[7 * a + 3] % 6);
  for (let j = 0; j < NC; j++) TIE_INPUT[(4 + j) * A + a] = (r[7 * a + 4 + j] % 5) * 0.25;
}

// First rows returned by the official non_max_suppression (torch 1.13.1, torchvision 0.14.1) on TIE_INPUT.
const TIE_EXPECTED: Record<string, { opts: object; n: number; head: number[][] }> = {
  best: {
    opts: { confThres: 0.25, iouThres: 0.45 },
    n: 26,
    head: [[24, 46, 56, 66, 1, 0], [40, 62, 56, 98, 1, 2], [48, 56, 64, 72, 1, 0]],
  },
  multi: {
    opts: { confThres: 0.25, iouThres: 0.45, multiLabel: true },
    n: 49,
    head: [[52, 72, 76, 88, 1, 0], [82, 48, 110, 64, 1, 0], [24, 46, 56, 66, 1, 0]],
  },
  agnostic_multi_maxdet: {
    opts: { confThres: 0.25, iouThres: 0.3, multiLabel: true, agnostic: true, maxDet: 7 },
    n: 7,
    head: [[52, 72, 76, 88, 1, 0], [82, 48, 110, 64, 1, 0], [24, 46, 56, 66, 1, 0]],
  },
};

Deno.test("nms keeps the reference's order among tied scores (torch's unstable argsort replayed)", () => {
  for (const [name, t] of Object.entries(TIE_EXPECTED)) {
    const [det] = nonMaxSuppression({ data: TIE_INPUT, shape: [1, 4 + NC, A] }, t.opts);
    assert.equal(det.n, t.n, name);
    assert.deepEqual(Array.from(det.rows.subarray(0, 18)), t.head.flat(), name);
  }
});

/** Space-separated numbers (keeps long reference permutations on a few lines). */
const nums = (s: string): number[] => s.trim().split(/\s+/).map(Number);

Deno.test("torchArgsortDescending equals libstdc++ std::sort on ties, including the heapsort fallback", () => {
  // expected permutations produced by g++ 12 std::sort with PyTorch's descending comparator
  const levels = (seed: number, n: number, k: number) => {
    let x = BigInt(seed);
    return Array.from({ length: n }, () => {
      x = (x * 1103515245n + 12345n) % 2147483648n;
      return Number((x >> 16n) % BigInt(k)) / 8;
    });
  };
  assert.deepEqual(
    Array.from(torchArgsortDescending(levels(1, 50, 5))),
    nums(
      `25 49 36 32 30 16 12 10 7 1 2 37 0 40 41 21 43 15 47 17 48 33 35 11 8 28 24 5 44 18 39 38 45 29 34 4 26 23
      20 19 9 3 31 27 22 42 14 46 13 6`,
    ),
  );
  assert.deepEqual(
    Array.from(torchArgsortDescending(levels(7, 40, 3))),
    nums(
      "13 25 28 29 30 21 19 17 33 14 12 10 9 8 7 5 4 2 1 36 39 35 32 38 31 0 26 24 18 16 15 11 27 23 22 20 34 37 6 3",
    ),
  );
  // McIlroy's adversary against median-of-3 (n = 100, with ties): reaches the depth-limit heapsort
  const adv = nums(
    `-46 0 -35 -1 -42 -2 -34 -3 -50 -4 -33 -5 -41 -6 -32 -7 -45 -8 -31 -9 -40 -10 -12 -11 -49 -48 -47
    -46 -45 -44 -43 -42 -41 -40 -39 -38 -37 -36 -35 -34 -33 -32 -47 -39 -44 -38 -48 -37 -43 -36 0 -1 -2 -3 -4 -5 -6 -7
    -8 -9 -10 -11 -31 -29 -30 -28 -29 -27 -28 -26 -27 -25 -26 -24 -25 -23 -24 -22 -23 -21 -22 -20 -21 -19 -20 -18 -19
    -17 -18 -16 -17 -15 -16 -14 -15 -13 -14 -12 -13 -30`,
  );
  const advOut = nums(
    `1 50 3 51 5 52 7 53 9 54 11 55 13 56 15 57 17 58 19 59 21 60 23 61 97 22 98 95 93 96 94 91 89 92
    87 90 85 88 83 86 84 81 79 82 77 80 75 78 73 76 71 74 69 72 67 70 65 68 63 66 99 64 18 62 14 41 10 40 39 6 2 38 49 37
    47 36 45 35 43 34 20 33 12 32 31 4 48 30 44 29 16 28 27 0 42 26 25 46 24 8`,
  );
  const p = torchArgsortDescending(adv);
  assert.deepEqual(Array.from(p), advOut);
  for (let i = 1; i < p.length; i++) assert.ok(adv[p[i - 1]] >= adv[p[i]]);
});

Deno.test("numpyArgsort and stableArgsortDescending: NumPy 1.24 quicksort order and stable order on ties", () => {
  // np.argsort(v)[::-1] (numpy 1.24.2) of 20 float32 IoUs with one tie (entries 4 and 6)
  const iou = [
    0.849162,
    0.74883723,
    0.8214286,
    0.6315789,
    0.6875,
    0.5882353,
    0.6875,
    0.64705884,
    0.7804878,
    0.78688526,
    0.8858132,
    0.78397214,
    0.7746479,
    0.88030887,
    0.8326693,
    0.825,
    0.85714287,
    0.7385159,
    0.4735376,
    0.7453416,
  ];
  assert.deepEqual(
    Array.from(numpyArgsort(iou.map(Math.fround))).reverse(),
    nums("10 13 16 0 14 15 2 9 11 8 12 1 19 17 6 4 7 3 5 18"),
  );
  assert.deepEqual(Array.from(stableArgsortDescending([1, 3, 3, 2, 3, 1])), [1, 2, 4, 3, 0, 5]);
  assert.deepEqual(Array.from(stableArgsortDescending([NaN, 1, NaN, 2])), [0, 2, 3, 1]);
});

Deno.test("nms options: strict conf threshold, class filter, agnostic, max_det, single-class multi-label", () => {
  // 3 anchors, 2 classes; boxes 0 and 1 overlap with IoU 0.5 (same size, shifted by a third)
  const cx = [50, 60, 200], cy = [50, 50, 50], w = [30, 30, 20], h = [20, 20, 20];
  const s0 = [0.9, 0.25, 0.3], s1 = [0.1, 0.8, 0.3];
  const data = Float32Array.from([...cx, ...cy, ...w, ...h, ...s0, ...s1]);
  const pred = { data, shape: [1, 6, 3] };
  // best class: anchor 2 has a tie between classes -> first index (class 0)
  const best = nonMaxSuppression(pred, { confThres: 0.25, iouThres: 0.45 })[0];
  assert.deepEqual(Array.from(best.rows.filter((_, i) => i % 6 === 5)), [0, 1, 0]);
  assert.deepEqual(Array.from(best.rows.filter((_, i) => i % 6 === 4)), [0.9, 0.8, 0.3].map(Math.fround));
  // agnostic: box 1 (IoU 0.5 with box 0) is suppressed at 0.45, kept at 0.5 (strict >)
  assert.equal(nonMaxSuppression(pred, { iouThres: 0.45, agnostic: true })[0].n, 2);
  assert.equal(nonMaxSuppression(pred, { iouThres: 0.5, agnostic: true })[0].n, 3);
  // multi-label: score exactly at the threshold is excluded (strict >)
  const ml = nonMaxSuppression(pred, { confThres: 0.25, multiLabel: true })[0];
  assert.equal(ml.n, 4); // (0,c0) (1,c1) (2,c0) (2,c1); (1,c0)=0.25 excluded
  assert.equal(nonMaxSuppression(pred, { classes: [1] })[0].n, 1);
  assert.equal(nonMaxSuppression(pred, { maxDet: 2 })[0].n, 2);
  assert.equal(nonMaxSuppression(pred, { maxNms: 1 })[0].n, 1);
  // xyxy output in float32
  assert.deepEqual(Array.from(best.rows.subarray(0, 4)), [35, 40, 65, 60]);
  // nc = 1: multi-label is forced off
  const one = { data: Float32Array.from([...cx, ...cy, ...w, ...h, ...s0]), shape: [1, 5, 3] };
  assert.equal(nonMaxSuppression(one, { multiLabel: true, confThres: 0.2 })[0].n, 2);
  // tfjs-like tensor at the edge; empty images
  const tensorLike = {
    shape: [2, 6, 3],
    data: () => Promise.resolve(new Float32Array(0)), // as a tf.Tensor: async reader beside dataSync
    dataSync: () => Float32Array.from([...data, ...new Float32Array(18)]),
  };
  const two = nonMaxSuppression(tensorLike);
  assert.equal(two.length, 2);
  assert.equal(two[1].n, 0);
});

Deno.test("nms rejects malformed input with a message saying what was expected", () => {
  assert.throws(
    () => nonMaxSuppression({ data: new Float32Array(8), shape: [1, 4, 2] }),
    /\(B, 4\+nc, A\).*got \(1, 4, 2\)/,
  );
  assert.throws(
    () => nonMaxSuppression({ data: new Float32Array(5), shape: [1, 5, 2] }),
    /needs 10 values, got 5/,
  );
  assert.throws(
    () => nonMaxSuppression({ data: new Float32Array(10), shape: [1, 5, 2] }, { confThres: 2 }),
    /Invalid confidence/,
  );
  assert.throws(() => torchvisionNms(new Float32Array(3), [1], 0.5), /expected 4 box values/);
});

Deno.test("box helpers: IoU symmetric and bounded, xywh<->xyxy round trip, crowd IoU, torchvision IoU", () => {
  const boxes: number[] = [];
  const rnd = lcg(3, 200).map((x) => (x % 10000) / 100);
  for (let i = 0; i < 40; i++) {
    const [x, y, w, h] = rnd.slice(4 * i, 4 * i + 4);
    boxes.push(x, y, x + w + 0.5, y + h + 0.5);
  }
  const m = boxIouMatrixF32(boxes, boxes);
  for (let i = 0; i < 40; i++) {
    assert.ok(Math.abs(m[i * 40 + i] - 1) < 1e-6, "self IoU ~ 1");
    for (let j = 0; j < 40; j++) {
      assert.equal(m[i * 40 + j], m[j * 40 + i], "symmetric");
      assert.ok(m[i * 40 + j] >= 0 && m[i * 40 + j] <= 1);
    }
  }
  const back = xywhToXyxyF32(xyxyToXywhF32(boxes));
  for (let k = 0; k < boxes.length; k++) {
    assert.ok(Math.abs(back[k] - boxes[k]) <= 1e-4 * Math.max(1, Math.abs(boxes[k])));
  }
  // analytic: two 10x10 squares overlapping by half -> IoU 50/150
  const sq = Float32Array.from([0, 0, 10, 10, 5, 0, 15, 10]);
  assert.equal(nmsIouF32(sq, [100, 100], 0, 1), Math.fround(1 / 3));
  assert.equal(boxIouMatrixF32([0, 0, 10, 10], [5, 0, 15, 10])[0], Math.fround(50 / Math.fround(150 + 1e-7)));
  // COCO: [x, y, w, h]; crowd gt uses the detection's area as the union
  const dt = [0, 0, 10, 10], gt = [5, 0, 10, 10];
  assert.equal(cocoBoxIou(dt, gt, [0])[0], 50 / 150);
  assert.equal(cocoBoxIou(dt, gt, [1])[0], 50 / 100);
  assert.equal(cocoBoxIou(dt, [20, 20, 5, 5], [0])[0], 0);
  assert.throws(() => xywhToXyxyF32([1, 2, 3]), /4 numbers per box/);
});
