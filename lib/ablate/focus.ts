/**
 * A number for paper Fig. 7 ("PGI ... focuses better on the target object", "GELAN ... diverges at
 * object boundaries and responds in background areas"): the focus ratio of a channel-summed feature
 * map = the share of its saliency |v - median(v)| on cells whose centre lies inside an object box,
 * divided by the share of such cells. 1 = no preference, above 1 = concentrated on the objects. Pure.
 * @module
 */

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
