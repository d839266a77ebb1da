// AutoAnchor (lib/train/autoanchor.ts, YOLOv7's check_anchors / kmean_anchors) on constructed boxes whose
// best possible recall is known: every box within anchor_t of an anchor (BPR 1: anchors kept), every box
// five times smaller than every anchor (BPR 0: recomputed, and the new anchors cover the boxes).
import assert from "node:assert/strict";
import { autoAnchor } from "../lib/train/autoanchor.ts";

const OFFICIAL = [[12, 16, 19, 36, 40, 28], [36, 75, 76, 55, 72, 146], [142, 110, 192, 243, 459, 401]];

/** One image per box of w x h px at `img`. */
const boxes = (sizes: [number, number][], img: number) =>
  sizes.map(([w, h]) => Float32Array.of(0, 0.5, 0.5, w / img, h / img));

Deno.test("autoanchor: boxes within anchor_t of an anchor keep the anchors (BPR 1)", () => {
  // 20 x 20 px boxes against the 12 x 16 anchor: ratios 1.67 and 1.25, under 4 even with the +-10 % scale.
  const r = autoAnchor(OFFICIAL, boxes(Array.from({ length: 50 }, () => [20, 20]), 64), { img: 64, thr: 4 });
  assert.equal(r.bpr, 1);
  assert.equal(r.recomputed, false);
  assert.deepEqual(r.anchors, OFFICIAL);
});

Deno.test("autoanchor: boxes far below every anchor get new anchors that cover them, sorted by area", () => {
  // 2.4 x 2.4 px .. 3 x 3 px boxes: 12 / 3 = 4 > anchor_t even for the smallest anchor, so BPR 0.
  const sizes = Array.from(
    { length: 90 },
    (_, i) => [2.4 + (i % 7) * 0.1, 2.4 + (i % 5) * 0.15] as [number, number],
  );
  const r = autoAnchor(OFFICIAL, boxes(sizes, 640), { img: 640, thr: 4, gen: 200, seed: 3 });
  assert.equal(r.bpr, 0);
  assert.equal(r.recomputed, true);
  assert.equal(r.newBpr, 1);
  const k = r.anchors.flat();
  assert.equal(k.length, 18);
  assert.ok(k.every((v) => v >= 2 && v <= 12), `anchors near the boxes: ${k}`);
  const areas = Array.from({ length: 9 }, (_, j) => k[2 * j] * k[2 * j + 1]);
  assert.deepEqual(areas, [...areas].sort((a, b) => a - b));
});
