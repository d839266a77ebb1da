/**
 * YOLOv7's OTA-style dynamic-k assignment (`ComputeLossOTA.build_targets`, utils/loss.py of
 * WongKinYiu/yolov7; YOLOv7 paper Sec. 4 "label assignment", after YOLOX's SimOTA). Per image, over the
 * candidates of every level ({@link findCandidates}): pairwise IoU of targets and decoded candidate
 * boxes (pixels), cost = BCE of sqrt(cls x obj) against the one-hot class + 3 x (-ln(IoU + 1e-8)); each
 * target keeps its k cheapest candidates with k = max(1, floor(sum of its 10 largest IoUs)); a candidate
 * taken by several targets goes to the cheapest one. Values only: the result enters the loss as constants.
 * @module
 */
import { type LevelCandidates, positiveLists, toLevel } from "./yolov7_candidates.ts";

/** The matched positives of one level, in the reference's order (image-major, then candidate order). */
export type LevelMatches = LevelCandidates;

/** Raw predictions of one level as plain values: `[B, H, W, na, no]` row-major. */
export interface LevelValues {
  data: ArrayLike<number>;
  h: number;
  w: number;
  na: number;
  no: number;
  stride: number;
}

const f = Math.fround;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function boxIou(t: number[], p: number[]): number {
  const areaT = f(f(t[2] - t[0]) * f(t[3] - t[1]));
  const areaP = f(f(p[2] - p[0]) * f(p[3] - p[1]));
  const iw = Math.max(f(Math.min(t[2], p[2]) - Math.max(t[0], p[0])), 0);
  const ih = Math.max(f(Math.min(t[3], p[3]) - Math.max(t[1], p[1])), 0);
  const inter = f(iw * ih);
  return f(inter / f(f(areaT + areaP) - inter));
}

function xyxy(x: number, y: number, w: number, h: number): number[] {
  const hw = f(w / 2), hh = f(h / 2);
  return [f(x - hw), f(y - hh), f(x + hw), f(y + hh)];
}

/** Indices of the k smallest values (ties: lower index first). */
function smallest(v: readonly number[], k: number): number[] {
  return v.map((_, i) => i).sort((i, j) => v[i] - v[j] || i - j).slice(0, k);
}

/**
 * `build_targets` of `ComputeLossOTA`: `rows` are the batch's target rows `[image, class, cx, cy, w, h]`
 * (normalised), `imgSize` the side the reference scales them by (`imgs[i].shape[1]`, the image height).
 */
export function assignOta(
  rows: ArrayLike<number>,
  cands: readonly LevelCandidates[],
  preds: readonly LevelValues[],
  opts: { nc: number; batch: number; imgSize: number },
): LevelMatches[] {
  const nl = cands.length;
  const out = cands.map(() => positiveLists());
  const nt = rows.length / 6;
  for (let img = 0; img < opts.batch; img++) {
    const gts = Array.from({ length: nt }, (_, t) => t).filter((t) => rows[6 * t] === img);
    if (!gts.length) continue;
    const tBoxes = gts.map((t) => xyxy(...([2, 3, 4, 5].map((k) => f(rows[6 * t + k] * opts.imgSize)) as [number, number, number, number])));
    // Candidates of this image, level by level: (level, index in the level), box in pixels, sqrt(cls x obj).
    const cl: { level: number; k: number; box: number[]; score: number[] }[] = [];
    for (let i = 0; i < nl; i++) {
      const c = cands[i], p = preds[i];
      for (let k = 0; k < c.b.length; k++) {
        if (c.b[k] !== img) continue;
        const base = ((((img * p.h + c.gj[k]) * p.w + c.gi[k]) * p.na) + c.a[k]) * p.no;
        const v = (j: number) => p.data[base + j];
        const px = f(f(f(f(f(sigmoid(v(0))) * 2) - 0.5) + c.gi[k]) * p.stride);
        const py = f(f(f(f(f(sigmoid(v(1))) * 2) - 0.5) + c.gj[k]) * p.stride);
        const pw = f(f(f(f(f(sigmoid(v(2))) * 2) ** 2) * c.anchor[2 * k]) * p.stride);
        const ph = f(f(f(f(f(sigmoid(v(3))) * 2) ** 2) * c.anchor[2 * k + 1]) * p.stride);
        const obj = sigmoid(v(4));
        const score = Array.from({ length: opts.nc }, (_, j) => Math.sqrt(sigmoid(v(5 + j)) * obj));
        cl.push({ level: i, k, box: xyxy(px, py, pw, ph), score });
      }
    }
    if (!cl.length) continue;
    const iou = tBoxes.map((t) => cl.map((c) => boxIou(t, c.box)));
    const cost = gts.map((t, g) => {
      const cls = rows[6 * t + 1];
      return cl.map((c, j) => {
        let bce = 0;
        for (let q = 0; q < opts.nc; q++) {
          const y = Math.min(Math.max(c.score[q], 1e-12), 1 - 1e-12);
          bce -= q === cls ? Math.log(y) : Math.log(1 - y);
        }
        return bce + 3 * -Math.log(iou[g][j] + 1e-8);
      });
    });
    const matching = gts.map(() => new Uint8Array(cl.length));
    gts.forEach((_, g) => {
      const top = [...iou[g]].sort((x, y) => y - x).slice(0, Math.min(10, cl.length));
      const k = Math.max(Math.trunc(top.reduce((s, x) => f(s + x), 0)), 1);
      for (const j of smallest(cost[g], k)) matching[g][j] = 1;
    });
    cl.forEach((c, j) => {
      const takers = gts.map((_, g) => g).filter((g) => matching[g][j]);
      if (!takers.length) return;
      let best = 0;
      if (takers.length > 1) {
        for (let g = 1; g < gts.length; g++) if (cost[g][j] < cost[best][j]) best = g;
      } else best = takers[0];
      const o = out[c.level], src = cands[c.level];
      o.b.push(img);
      o.a.push(src.a[c.k]);
      o.gj.push(src.gj[c.k]);
      o.gi.push(src.gi[c.k]);
      o.anchor.push(src.anchor[2 * c.k], src.anchor[2 * c.k + 1]);
      o.row.push(gts[best]);
    });
  }
  return out.map(toLevel);
}
