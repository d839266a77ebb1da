/**
 * AutoAnchor of YOLOv7's train.py (`check_anchors` / `kmean_anchors`, utils/autoanchor.py): before
 * training an anchor-based model (IDetect, paper Table 6's YOLOv7), the anchors are checked against
 * the training labels, and where fewer than 98 % of the boxes have an anchor within `anchor_t` (the
 * best possible recall, BPR) they are recomputed: k-means on the boxes' widths and heights (whitened,
 * 30 restarts), then 1,000 generations of mutation keeping the fittest, sorted by area; the new
 * anchors replace the old only when their BPR is higher. The official anchors are pixel sizes for
 * 640 px COCO images, so a small image size (the ablations' 64 px) needs this step.
 *
 * Box sizes are the labels' normalised widths and heights times the image size (images taken as
 * square, the letterbox's long side). Pure: labels and a seeded generator in, anchors out.
 * @module
 */
import { createRng, type Rng, rngFloat, rngNormal } from "../data/rng.ts";
import type { ModelConfig } from "../graph/config.ts";

/** What {@link autoAnchor} decided. */
export interface AutoAnchorResult {
  /** Anchors per level in pixels, `[w0, h0, w1, h1, ...]` (the config's `anchors` rows). */
  anchors: number[][];
  /** Best possible recall of the given anchors, and of the returned ones. */
  bpr: number;
  newBpr: number;
  /** Anchors above threshold per box, of the given anchors. */
  aat: number;
  recomputed: boolean;
}

type Wh = Float64Array; // [w0, h0, w1, h1, ...]

/** Per box the best anchor's ratio metric min(r, 1 / r) over w and h, and how many anchors pass `1 / thr`. */
function metric(k: readonly number[], wh: Wh, thr: number): { best: Float64Array; above: number } {
  const n = wh.length / 2, best = new Float64Array(n);
  let above = 0;
  for (let i = 0; i < n; i++) {
    const w = wh[2 * i], h = wh[2 * i + 1];
    let b = 0;
    for (let j = 0; j < k.length; j += 2) {
      const rw = w / k[j], rh = h / k[j + 1];
      const x = Math.min(Math.min(rw, 1 / rw), Math.min(rh, 1 / rh));
      if (x > b) b = x;
      if (x > 1 / thr) above++;
    }
    best[i] = b;
  }
  return { best, above };
}

/** `check_anchors`' metric: best possible recall and anchors above threshold per box. */
function recallOf(k: readonly number[], wh: Wh, thr: number): { bpr: number; aat: number } {
  const { best, above } = metric(k, wh, thr);
  let n = 0;
  for (const b of best) n += b > 1 / thr ? 1 : 0;
  return best.length ? { bpr: n / best.length, aat: above / best.length } : { bpr: 1, aat: 0 };
}

/** `kmean_anchors`' fitness: the mean of the best ratios that pass the threshold (others count 0). */
function fitness(k: readonly number[], wh: Wh, thr: number): number {
  const { best } = metric(k, wh, thr);
  let s = 0;
  for (const b of best) s += b > 1 / thr ? b : 0;
  return s / Math.max(best.length, 1);
}

/** k-means of 2-D points (scipy.cluster.vq.kmeans: `restarts` random starts, the lowest mean distance kept). */
function kmeans(p: Wh, n: number, rng: Rng, restarts = 30): number[] {
  const m = p.length / 2;
  let bestK: number[] = [], bestD = Infinity;
  for (let r = 0; r < restarts; r++) {
    const k: number[] = [];
    for (let j = 0; j < n; j++) {
      const i = Math.floor(rngFloat(rng) * m);
      k.push(p[2 * i], p[2 * i + 1]);
    }
    let prev = Infinity, dist = 0;
    for (let it = 0; it < 100; it++) {
      const sum = new Float64Array(2 * n), cnt = new Float64Array(n);
      dist = 0;
      for (let i = 0; i < m; i++) {
        let bj = 0, bd = Infinity;
        for (let j = 0; j < n; j++) {
          const d = Math.hypot(p[2 * i] - k[2 * j], p[2 * i + 1] - k[2 * j + 1]);
          if (d < bd) (bd = d), (bj = j);
        }
        dist += bd;
        sum[2 * bj] += p[2 * i];
        sum[2 * bj + 1] += p[2 * i + 1];
        cnt[bj]++;
      }
      dist /= m;
      for (let j = 0; j < n; j++) {
        if (cnt[j]) (k[2 * j] = sum[2 * j] / cnt[j]), (k[2 * j + 1] = sum[2 * j + 1] / cnt[j]);
      }
      if (prev - dist <= 1e-5) break;
      prev = dist;
    }
    if (dist < bestD) (bestD = dist), (bestK = k);
  }
  return bestK;
}

function sortByArea(k: number[]): number[] {
  const pairs = Array.from({ length: k.length / 2 }, (_, j) => [k[2 * j], k[2 * j + 1]]);
  return pairs.sort((a, b) => a[0] * a[1] - b[0] * b[1]).flat();
}

/** `kmean_anchors`: `n` anchors for the boxes `wh` (pixels) by k-means and `gen` generations of mutation. */
export function kmeanAnchors(wh: Wh, n: number, o: { thr: number; gen?: number; seed?: number }): number[] {
  const rng = createRng(o.seed ?? 0);
  const kept: number[] = [];
  for (let i = 0; i < wh.length; i += 2) if (wh[i] >= 2 || wh[i + 1] >= 2) kept.push(wh[i], wh[i + 1]);
  if (kept.length / 2 < n) {
    throw new RangeError(`Cannot compute ${n} anchors from ${kept.length / 2} boxes of 2 px or more`);
  }
  const boxes = Float64Array.from(kept);
  const m = boxes.length / 2;
  const mean = [0, 1].map((d) => boxes.filter((_, i) => i % 2 === d).reduce((a, b) => a + b, 0) / m);
  const sd = [0, 1].map((d) =>
    Math.sqrt(boxes.filter((_, i) => i % 2 === d).reduce((a, b) => a + (b - mean[d]) ** 2, 0) / m) || 1
  );
  const white = boxes.map((v, i) => v / sd[i % 2]);
  let k = sortByArea(kmeans(white, n, rng).map((v, i) => v * sd[i % 2]));
  let f = fitness(k, boxes, o.thr);
  for (let g = 0; g < (o.gen ?? 1000); g++) {
    const scale = rngFloat(rng);
    let v: number[];
    do {
      v = k.map(() =>
        Math.min(3, Math.max(0.3, (rngFloat(rng) < 0.9 ? 1 : 0) * scale * rngNormal(rng) * 0.1 + 1))
      );
    } while (v.every((x) => x === 1));
    const kg = k.map((x, i) => Math.max(2, x * v[i]));
    const fg = fitness(kg, boxes, o.thr);
    if (fg > f) (f = fg), (k = kg);
  }
  return sortByArea(k);
}

/**
 * `check_anchors`: the anchors `anchors` (pixels, one row per level) against the boxes of `labels`
 * (rows of [class, cx, cy, w, h] normalised, one array per image) at `img` px; recomputed by
 * {@link kmeanAnchors} when the BPR is under 0.98 and kept only when that raises it.
 *
 * @example
 * ```ts
 * const r = autoAnchor([[12, 16, 19, 36, 40, 28], [36, 75, 76, 55, 72, 146], [142, 110, 192, 243, 459, 401]],
 *   [Float32Array.of(0, 0.5, 0.5, 0.2, 0.3)], { img: 64, thr: 4, gen: 10 });
 * console.log(r.bpr, r.newBpr, r.anchors);
 * ```
 */
export function autoAnchor(
  anchors: readonly (readonly number[])[],
  labels: readonly Float32Array[],
  o: { img: number; thr: number; gen?: number; seed?: number },
): AutoAnchorResult {
  const rng = createRng(o.seed ?? 0);
  const wh: number[] = [], whScaled: number[] = [];
  for (const rows of labels) {
    const s = o.img * (0.9 + 0.2 * rngFloat(rng)); // check_anchors' scale augmentation, per image
    for (let r = 0; r + 4 < rows.length; r += 5) {
      wh.push(rows[r + 3] * o.img, rows[r + 4] * o.img);
      whScaled.push(rows[r + 3] * s, rows[r + 4] * s);
    }
  }
  const all = Float64Array.from(whScaled);
  const flat = anchors.flat();
  const { bpr, aat } = recallOf(flat, all, o.thr);
  const perLevel = anchors[0].length;
  const keep = { anchors: anchors.map((r) => [...r]), bpr, newBpr: bpr, aat, recomputed: false };
  if (bpr >= 0.98 || !wh.length) return keep;
  const k = kmeanAnchors(Float64Array.from(wh), flat.length / 2, { thr: o.thr, gen: o.gen, seed: o.seed });
  const newBpr = recallOf(k, all, o.thr).bpr;
  if (newBpr <= bpr) return { ...keep, newBpr };
  const rows = anchors.map((_, l) => k.slice(l * perLevel, (l + 1) * perLevel));
  return { anchors: rows, bpr, newBpr, aat, recomputed: true };
}

/** `config` with its `anchors` rows checked (and replaced where {@link autoAnchor} recomputes them). */
export function autoAnchorConfig(
  config: ModelConfig,
  labels: readonly Float32Array[],
  o: { img: number; thr: number; gen?: number; seed?: number },
): { config: ModelConfig; result: AutoAnchorResult } {
  const rows = config.raw.anchors;
  if (!Array.isArray(rows) || !rows.every((r) => Array.isArray(r) && r.every((v) => typeof v === "number"))) {
    throw new RangeError(
      `Cannot check the anchors of ${config.source}: expected rows of pixel sizes, got ${
        JSON.stringify(rows)
      }`,
    );
  }
  const result = autoAnchor(rows as number[][], labels, o);
  return {
    config: result.recomputed ? { ...config, raw: { ...config.raw, anchors: result.anchors } } : config,
    result,
  };
}
