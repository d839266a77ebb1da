/**
 * YOLO training-log metrics (utils/metrics.py ap_per_class / compute_ap / fitness / ConfusionMatrix, val.py
 * process_batch): hand-computed cases, the reference's quirks, and parity with the reference on tied values.
 */
import assert from "node:assert/strict";
import {
  apPerClass,
  computeAp,
  confusionTpFp,
  createConfusionMatrix,
  fitness,
  interp,
  linspace,
  pairwiseSum,
  processBatch,
  roundHalfEven,
  smooth,
  summarizeApPerClass,
  trapz,
  updateConfusionMatrix,
  valIouThresholds,
} from "../lib/eval/mod.ts";

const FIX = new URL("./fixtures/eval/", import.meta.url).pathname;

function close(actual: ArrayLike<number>, expected: number[], tol: number, msg = ""): void {
  assert.equal(actual.length, expected.length, msg);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${msg} [${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

Deno.test("compute_ap: 101-point interpolation with trapezoids (hand-computed)", () => {
  // perfect curve: the last trapezoid ends at precision 0 -> 0.995, the reference's well-known ceiling
  close([computeAp([1], [1]).ap], [0.995], 1e-15);
  // recall 0.5 at precision 1: 0.5 + triangle 0.25
  close([computeAp([0.5], [1]).ap], [0.75], 1e-15);
  // TP, FP, TP with 2 labels: envelope 1 up to r<0.5, 2/3 from r=0.5 (exact hit takes the later point)
  const ap = computeAp([0.5, 0.5, 1], [1, 0.5, 2 / 3]);
  close([ap.ap], [0.49 + 0.01 * (1 + 2 / 3) / 2 + 0.49 * 2 / 3 + 0.01 * (2 / 3) / 2], 1e-12);
  assert.equal(ap.ap, 0.8283333333333331); // NumPy's value
  assert.deepEqual(Array.from(ap.mrec), [0, 0.5, 0.5, 1, 1]);
  close(ap.mpre, [1, 1, 2 / 3, 2 / 3, 0], 1e-15);
});

Deno.test("ap_per_class on a hand case: P, R at max F1, AP per threshold, PR curve data", () => {
  // 1 class, 2 labels, detections (conf, TP@0.5, TP@0.95): (0.9,1,1) (0.8,0,0) (0.7,1,0)
  const res = apPerClass([1, 1, 0, 0, 1, 0], [0.9, 0.8, 0.7], [0, 0, 0], [0, 0]);
  assert.deepEqual(res.classes, [0]);
  assert.deepEqual(res.nt, [2]);
  assert.equal(res.nIou, 2);
  close([res.ap[0]], [0.8283333333333331], 1e-15);
  close([res.ap[1]], [computeAp([0.5, 0.5, 0.5], [1, 0.5, 1 / 3]).ap], 0);
  // the curves are sampled on px = linspace(0, 1, 1000); at conf 0 all 3 detections are in: P 2/3, R 1
  assert.equal(res.px.length, 1000);
  close([res.pCurve[0][0], res.rCurve[0][0]], [2 / 3, 1 / (1 + 1e-16)], 1e-15);
  // above the highest confidence: recall 0 (left=0), precision 1 (left=1)
  close([res.pCurve[0][999], res.rCurve[0][999]], [1, 0], 0);
  assert.equal(res.py[0].length, 1000);
  close([res.py[0][0]], [1], 0);
  // best F1 over the smoothed mean curve: P 2/3, R 1 -> TP 2, FP 1
  close([res.p[0], res.r[0], res.tp[0], res.fp[0]], [2 / 3, 1, 2, 1], 1e-12);
});

Deno.test("ap_per_class equals the reference on tied confidences (NumPy quicksort order replayed)", () => {
  // tie-heavy input; expected output of utils/metrics.py ap_per_class with numpy 1.24.2
  const n = 40, T = 10;
  const tp: number[] = [];
  for (let i = 0; i < n; i++) for (let t = 0; t < T; t++) tp.push((i * 13 + t * 7) % 10 < 9 - t ? 1 : 0);
  const conf = Float32Array.from({ length: n }, (_, i) => ((i * 7) % 9) / 8 + 0.01);
  const pred = Array.from({ length: n }, (_, i) => i % 3);
  const target = [...Array(14).fill(0), ...Array(15).fill(1), ...Array(14).fill(2), 3, 3];
  const res = apPerClass(tp, conf, pred, target);
  assert.deepEqual(res.classes, [0, 1, 2, 3]);
  assert.deepEqual(Array.from(res.tp), TP);
  assert.deepEqual(Array.from(res.fp), FP);
  assert.deepEqual(Array.from(res.p), P);
  assert.deepEqual(Array.from(res.r), R);
  assert.deepEqual(Array.from(res.f1), F1);
  assert.deepEqual(Array.from(res.ap), AP.flat());
  const s = summarizeApPerClass(res);
  assert.deepEqual([s.mp, s.mr, s.map50, s.map], [
    0.6758241758241759,
    0.6285714285714286,
    0.6345779532967033,
    0.3007313060897436,
  ]);
});

const TP = [12, 12, 12, 0];
const FP = [2, 1, 1, 0];
const P = [0.8571428571428571, 0.9230769230769231, 0.9230769230769231, 0.0];
const R = [0.8571428571428571, 0.8, 0.8571428571428571, 0.0];
const F1 = [0.8571428571428571, 0.8571428571428571, 0.888888888888889, 0.0];
const AP = [
  [
    0.8046964285714285,
    0.8310000000000001,
    0.742557142857143,
    0.5338415584415583,
    0.3172222222222222,
    0.33109038461538465,
    0.3740861111111111,
    0.11114393939393938,
    0.04040769230769231,
    0.0,
  ],
  [
    0.8765384615384615,
    0.6308251748251749,
    0.5771730769230771,
    0.6497802197802198,
    0.42486057692307694,
    0.19986713286713287,
    0.16496153846153847,
    0.22023343323343325,
    0.1010247252747253,
    0.0,
  ],
  [
    0.8570769230769228,
    0.7976769230769231,
    0.6229191142191142,
    0.48647435897435887,
    0.5298858974358974,
    0.39081923076923075,
    0.2074909090909091,
    0.11582983682983683,
    0.08976923076923077,
    0.0,
  ],
  [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
];

Deno.test("process_batch: thresholds torch.linspace(0.5, 0.95, 10) in float32, and the lowest-index quirk", () => {
  // bit patterns of torch.linspace(0.5, 0.95, 10) (torch 1.13.1)
  assert.deepEqual(Array.from(new Uint32Array(valIouThresholds().buffer)), [
    1056964608,
    1057803469,
    1058642330,
    1059481190,
    1060320051,
    1061158912,
    1061997773,
    1062836634,
    1063675494,
    1064514355,
  ]);
  // one label; detection 0 has IoU 0.62, detection 1 IoU 0.92, detection 2 the wrong class. At 0.5-0.6 both
  // pass; the label keeps the pair with the lower detection index (the re-sort by IoU is commented out).
  const dets = [0, 0, 100, 62, 0.9, 0, 0, 0, 100, 92, 0.8, 0, 0, 0, 100, 100, 0.7, 1];
  const correct = processBatch(dets, [0, 0, 0, 100, 100]);
  assert.deepEqual(Array.from(correct), [
    1,
    1,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    1,
    1,
    1,
    1,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  assert.equal(processBatch([], [0, 0, 0, 1, 1]).length, 0);
  assert.throws(() => processBatch([1, 2, 3], []), /6 numbers per detection, got 3/);
});

Deno.test("confusion matrix: correct, confused, background FP/FN, and the no-match quirk", () => {
  const A = [0, 0, 50, 50], B = [100, 100, 150, 160];
  const cm = createConfusionMatrix(2);
  updateConfusionMatrix(cm, [...A, 0.9, 0, ...B, 0.8, 0, 300, 300, 340, 340, 0.7, 1, ...A, 0.2, 1], [
    0,
    ...A,
    1,
    ...B,
  ]);
  // rows = predicted (0, 1, background), columns = true
  assert.deepEqual(Array.from(cm.matrix), [1, 1, 0, 0, 0, 1, 0, 0, 0]);
  const { tp, fp } = confusionTpFp(cm);
  assert.deepEqual([Array.from(tp), Array.from(fp)], [[1, 0], [1, 1]]);
  const cm2 = createConfusionMatrix(2);
  // no pair above the IoU threshold: the label is missed but the stray detection is not counted (reference quirk)
  updateConfusionMatrix(cm2, [300, 300, 340, 340, 0.7, 1], [0, ...A]);
  // no predictions at all: every label is a background false negative
  updateConfusionMatrix(cm2, null, [1, ...A, 1, ...B]);
  assert.deepEqual(Array.from(cm2.matrix), [0, 0, 0, 0, 0, 0, 1, 2, 0]);
  assert.throws(
    () => updateConfusionMatrix(cm2, [0, 0, 1, 1, 0.9, 5], [0, ...A]),
    /detection class 5 outside 0..1/,
  );
});

Deno.test("process_batch and confusion matrix equal the reference on tied IoUs (20 candidate pairs)", async () => {
  const fx = JSON.parse(await Deno.readTextFile(`${FIX}/match_ties.json`));
  const dets = Float32Array.from(fx.dets.flat()), labels = Float32Array.from(fx.labels.flat());
  assert.deepEqual(Array.from(processBatch(dets, labels)), fx.correct);
  const cm = createConfusionMatrix(3);
  updateConfusionMatrix(cm, dets, labels);
  assert.deepEqual(Array.from(cm.matrix), fx.cm);
});

Deno.test("fitness, smooth and the NumPy-exact helpers", () => {
  assert.equal(fitness([0.5, 0.6, 0.7, 0.45]), 0.47500000000000003);
  assert.throws(() => fitness([1, 2]), /expected \[P, R, mAP50, mAP50-95\]/);
  // smooth keeps a constant and a line (away from the padded edges)
  close(smooth(new Float64Array(1000).fill(0.3), 0.1), Array(1000).fill(0.3), 1e-15);
  const line = smooth(Float64Array.from({ length: 1000 }, (_, i) => i), 0.1);
  close(line.subarray(50, 950), Array.from({ length: 900 }, (_, i) => i + 50), 1e-9);
  // np.linspace(0.5, 0.95, 10) and NumPy's pairwise summation (a naive loop gives 45 here, NumPy 74)
  assert.deepEqual(Array.from(linspace(0.5, 0.95, 10)), [
    0.5,
    0.55,
    0.6,
    0.65,
    0.7,
    0.75,
    0.8,
    0.85,
    0.8999999999999999,
    0.95,
  ]);
  const a = Array(11).fill([1e16, 1.0, -1e16, 1.0, 3.0, 1e-3, 2.5, -7.0, 1e16, 0.1, 0.2, 0.3, -1e16, 5.0])
    .flat();
  assert.equal(pairwiseSum(a), 74);
  assert.deepEqual(Array.from(interp([-1, 0, 0.25, 1, 2], [0, 0.5, 1], [1, 0, 4], 7)), [7, 1, 0.5, 4, 4]);
  assert.equal(trapz([0, 1, 1], [0, 1, 3]), 2.5);
  assert.deepEqual([0.5, 1.5, 2.5, -2.5, 2.4].map(roundHalfEven), [0, 2, 2, -2, 2]);
});
