// Task-aligned assigner: golden parity (utils/tal/assigner.py) and hand-built cases for each rule.
import assert from "node:assert/strict";
import { runAssignerCase } from "../lib/golden/assigner.ts";
import { assignTargets, bboxIouPlain } from "../lib/loss/mod.ts";
import { GOLDEN_DIR } from "../lib/testing/golden_dir.ts";

const GOLDEN = `${GOLDEN_DIR}/`;

Deno.test("assignTargets() reproduces every golden assigner case (labels/fg exact, floats 1e-5)", async () => {
  let cases = 0;
  for (const entry of Deno.readDirSync(GOLDEN)) {
    if (!entry.name.endsWith(".json")) continue;
    const sidecar = JSON.parse(Deno.readTextFileSync(GOLDEN + entry.name));
    if (sidecar.case !== "assigner") continue;
    const report = await runAssignerCase(GOLDEN_DIR, entry.name.replace(/\.json$/, ""), sidecar);
    for (const c of report.checks) assert.ok(c.pass, `${entry.name} ${c.name}: error ${c.error} > ${c.tol}`);
    cases++;
  }
  assert.ok(cases >= 3, `expected the golden assigner cases, found ${cases}`);
});

const ciou = (gt: number[], pd: number[]) => Math.max(bboxIouPlain(gt, pd, { kind: "ciou" }), 0);

Deno.test("assignTargets() keeps the top-k candidates strictly inside the gt and normalises their scores", () => {
  // Anchors: 3 inside the gt, one exactly on its right border (not a candidate), one outside.
  const anc = [4, 4, 12, 4, 8, 8, 16, 4, 20, 4];
  const gt = [2, 2, 16, 10];
  const pd = [[2, 2, 15, 10], [3, 1, 14, 9], [5, 4, 12, 9], [2, 2, 16, 10], [2, 2, 16, 10]];
  const scores = [0.9, 0.6, 0.8, 0.99, 0.99]; // class 1 probabilities (nc = 2)
  const res = assignTargets({
    batch: 1,
    numAnchors: 5,
    nMax: 1,
    pdScores: scores.flatMap((s) => [0.1, s]),
    pdBboxes: pd.flat(),
    ancPoints: anc,
    gtLabels: [1],
    gtBboxes: gt,
    maskGt: [1],
  }, { numClasses: 2, topk: 2 });
  const metric = pd.map((p, i) => Math.sqrt(scores[i]) * ciou(gt, p) ** 6);
  const top2 = [0, 1, 2].sort((a, b) => metric[b] - metric[a]).slice(0, 2).sort();
  assert.deepEqual([...res.fgMask], [0, 1, 2, 3, 4].map((a) => (top2.includes(a) ? 1 : 0)));
  const maxM = Math.max(...top2.map((a) => metric[a]));
  const maxOv = Math.max(...top2.map((a) => ciou(gt, pd[a])));
  for (let a = 0; a < 5; a++) {
    const want = top2.includes(a) ? metric[a] * maxOv / (maxM + 1e-9) : 0;
    assert.ok(Math.abs(res.targetScores[2 * a + 1] - want) < 1e-6 * Math.max(1, want), `anchor ${a}`);
    assert.equal(res.targetScores[2 * a], 0);
    assert.equal(res.targetLabels[a], 1); // background anchors carry gt row 0's label
    assert.deepEqual([...res.targetBboxes.subarray(4 * a, 4 * a + 4)], gt);
  }
});

Deno.test("assignTargets() gives an anchor claimed by two gts to the gt of highest CIoU", () => {
  const gtA = [0, 0, 20, 20], gtB = [8, 8, 30, 30];
  const anc = [12, 12, 4, 4, 26, 26];
  const pd = [[9, 9, 29, 29], [0, 0, 10, 10], [20, 20, 30, 30]];
  const res = assignTargets({
    batch: 1,
    numAnchors: 3,
    nMax: 2,
    pdScores: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    pdBboxes: pd.flat(),
    ancPoints: anc,
    gtLabels: [0, 1],
    gtBboxes: [...gtA, ...gtB],
    maskGt: [1, 1],
  }, { numClasses: 2 });
  assert.ok(ciou(gtB, pd[0]) > ciou(gtA, pd[0]));
  assert.deepEqual([...res.fgMask], [1, 1, 1]);
  assert.deepEqual([...res.targetLabels], [1, 0, 1]);
  assert.deepEqual([...res.targetBboxes.subarray(0, 4)], gtB);
  // gt B's positives are anchors 0 and 2: the larger alignment metric gets score = max CIoU of B's positives.
  const mB = [0, 2].map((a) => Math.sqrt(0.5) * ciou(gtB, pd[a]) ** 6);
  const best = mB[0] > mB[1] ? 0 : 2;
  assert.ok(Math.abs(res.targetScores[best * 2 + 1] - Math.max(ciou(gtB, pd[0]), ciou(gtB, pd[2]))) < 1e-6);
});

Deno.test("assignTargets() never assigns padding rows, and images without gts are all background", () => {
  const res = assignTargets({
    batch: 2,
    numAnchors: 2,
    nMax: 2,
    pdScores: [0.5, 0.5, 0.5, 0.5],
    pdBboxes: [0, 0, 8, 8, 0, 0, 8, 8, 0, 0, 8, 8, 0, 0, 8, 8],
    ancPoints: [4, 4, 12, 12],
    gtLabels: [0, 0, 0, 0],
    gtBboxes: [0, 0, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    maskGt: [1, 0, 0, 0],
  }, { numClasses: 1 });
  assert.deepEqual([...res.fgMask], [1, 0, 0, 0]);
  assert.deepEqual([...res.targetScores.slice(1)], [0, 0, 0]);
  assert.ok(res.targetScores[0] > 0.99);
});

Deno.test("assignTargets() early return for n_max = 0: labels = num_classes, everything else 0", () => {
  const res = assignTargets({
    batch: 2,
    numAnchors: 3,
    nMax: 0,
    pdScores: new Float32Array(2 * 3 * 4).fill(0.5),
    pdBboxes: new Float32Array(2 * 3 * 4).fill(1),
    ancPoints: [1, 1, 2, 2, 3, 3],
    gtLabels: [],
    gtBboxes: [],
    maskGt: [],
  }, { numClasses: 4 });
  assert.deepEqual([...res.targetLabels], [4, 4, 4, 4, 4, 4]);
  assert.ok(
    res.fgMask.every((v) => v === 0) && res.targetScores.every((v) => v === 0) &&
      res.targetBboxes.every((v) => v === 0),
  );
});

Deno.test("assignTargets() rejects inconsistent sizes and out-of-range labels", () => {
  const base = {
    batch: 1,
    numAnchors: 1,
    nMax: 1,
    pdScores: [0.5],
    pdBboxes: [0, 0, 1, 1],
    ancPoints: [0.5, 0.5],
    gtLabels: [3],
    gtBboxes: [0, 0, 1, 1],
    maskGt: [1],
  };
  assert.throws(() => assignTargets(base, { numClasses: 1 }), /outside \[0, 1\)/);
  assert.throws(
    () => assignTargets({ ...base, pdScores: [0.5, 0.5] }, { numClasses: 1 }),
    /pdScores has 2 values, expected 1/,
  );
});
