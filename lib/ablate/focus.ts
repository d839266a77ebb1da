/**
 * A number for paper Fig. 7 ("PGI ... focuses better on the target object", "GELAN ... diverges at
 * object boundaries and responds in background areas"): the focus ratio of a channel-summed feature
 * map = the share of its saliency |v - median(v)| on cells whose centre lies inside an object box,
 * divided by the share of such cells. 1 = no preference, above 1 = concentrated on the objects. Two
 * models are compared on the same images and seeds by the paired difference of their ratios, with a
 * 95 % interval from the crossed bootstrap over seeds and images (lib/ablate/bootstrap.ts). Pure.
 * @module
 */
import { type BootstrapOptions, crossedMeanInterval, crossedResamples, type Interval } from "../stats/bootstrap.ts";

/** A single-channel map, row-major (lib/ib's Map2D). */
export interface FocusMap {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

function median(v: ArrayLike<number>): number {
  const s = Array.from(v).sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Focus ratio of `map` for `boxes` [x1, y1, x2, y2] in pixels of an `imgW` x `imgH` image; NaN when no
 * cell centre (or every cell centre) is inside a box, or the map is constant.
 */
export function focusRatio(map: FocusMap, boxes: readonly number[][], imgW: number, imgH: number): number {
  const { width: w, height: h, data } = map;
  const med = median(data);
  let inside = 0, eIn = 0, eAll = 0;
  for (let y = 0; y < h; y++) {
    const cy = ((y + 0.5) * imgH) / h;
    for (let x = 0; x < w; x++) {
      const cx = ((x + 0.5) * imgW) / w;
      const s = Math.abs(data[y * w + x] - med);
      eAll += s;
      if (boxes.some((b) => cx >= b[0] && cx < b[2] && cy >= b[1] && cy < b[3])) {
        inside++;
        eIn += s;
      }
    }
  }
  if (!inside || inside === w * h || !(eAll > 0)) return NaN;
  return (eIn / eAll) / (inside / (w * h));
}

/** Boxes [x1, y1, x2, y2] in pixels of image `i` from YOLO batch targets [image, class, cx, cy, w, h] (normalised). */
export function targetBoxes(targets: ArrayLike<number>, i: number, imgW: number, imgH: number): number[][] {
  const out: number[][] = [];
  for (let k = 0; k + 6 <= targets.length; k += 6) {
    if (targets[k] !== i) continue;
    const [cx, cy, bw, bh] = [
      targets[k + 2] * imgW,
      targets[k + 3] * imgH,
      targets[k + 4] * imgW,
      targets[k + 5] * imgH,
    ];
    out.push([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2]);
  }
  return out;
}

/** Focus of two models on the same images and seeds, and their paired difference. */
export interface PairedFocus {
  /** Mean focus ratio of each model with its 95 % interval (crossed bootstrap over seeds and images). */
  base: Interval;
  other: Interval;
  /** Mean of other - base per (seed, image) with its 95 % interval (same resamples: paired). */
  diff: Interval;
  /** "higher": the interval of the difference is above 0; "lower": below; "not separated": it contains 0. */
  verdict: "higher" | "lower" | "not separated";
  /** (seed, image) pairs with both ratios finite. */
  pairs: number;
}

/**
 * Paired comparison of focus ratios `other[seed][image]` against `base[seed][image]` (NaN where a ratio
 * is undefined; such cells drop out of both).
 */
export function pairedFocus(base: number[][], other: number[][], opts: BootstrapOptions = {}): PairedFocus {
  if (base.length !== other.length || base.some((r, i) => r.length !== other[i].length)) {
    throw new RangeError(`Cannot pair focus ratios: ${base.length} x ${base[0]?.length} against ${other.length} x ${other[0]?.length}`);
  }
  const both = (t: number[][], u: number[][]) => t.map((r, i) => r.map((v, j) => (Number.isFinite(v) && Number.isFinite(u[i][j]) ? v : NaN)));
  const [b, o] = [both(base, other), both(other, base)];
  const d = o.map((r, i) => r.map((v, j) => v - b[i][j]));
  const rs = crossedResamples(base.length, base[0]?.length ?? 1, opts);
  const diff = crossedMeanInterval(d, rs);
  return {
    base: crossedMeanInterval(b, rs), other: crossedMeanInterval(o, rs), diff,
    verdict: diff.lo > 0 ? "higher" : diff.hi < 0 ? "lower" : "not separated",
    pairs: d.flat().filter(Number.isFinite).length,
  };
}

/**
 * Share of the maps' variance that is one and the same map for every image: each map is centred and
 * scaled to unit variance (offset and gain are not a pattern), then 1 - (mean squared deviation from
 * the across-image mean map) / (mean squared value).
 * Near 1, the maps do not depend on the image (e.g. border and bias patterns) and a focus ratio read
 * from them says nothing about the objects; NaN for fewer than 2 maps or constant maps.
 */
export function fixedShare(maps: readonly FocusMap[]): number {
  if (maps.length < 2) return NaN;
  const n = maps[0].data.length;
  if (maps.some((m) => m.data.length !== n)) throw new RangeError(`Cannot compare maps of ${maps.map((m) => m.data.length).join(", ")} cells`);
  const centred = maps.map((m) => {
    const mean = Array.from(m.data).reduce((s, v) => s + v, 0) / n;
    const sd = Math.sqrt(Array.from(m.data).reduce((s, v) => s + (v - mean) ** 2, 0) / n);
    return Array.from(m.data, (v) => (sd > 0 ? (v - mean) / sd : 0));
  });
  const avg = new Float64Array(n);
  for (const c of centred) c.forEach((v, i) => (avg[i] += v / maps.length));
  let dev = 0, tot = 0;
  for (const c of centred) c.forEach((v, i) => ((dev += (v - avg[i]) ** 2), (tot += v * v)));
  return tot > 0 ? 1 - dev / tot : NaN;
}
