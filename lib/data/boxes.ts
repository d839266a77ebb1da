/**
 * Box arithmetic on label rows of 5 (`[class, ...box]`), as the official data pipeline does it
 * (utils/general.py xywhn2xyxy / xyxy2xywhn / clip_boxes, utils/augmentations.py box_candidates,
 * utils/metrics.py bbox_ioa). All functions return new arrays.
 * @module
 */
import { labelCount } from "./image.ts";

/**
 * Normalised `[c, cx, cy, w, h]` rows -> pixel `[c, x1, y1, x2, y2]` for an image of w x h placed at
 * (padw, padh). Mirrors utils/general.py `xywhn2xyxy`.
 */
export function xywhnToXyxy(labels: Float32Array, w: number, h: number, padw = 0, padh = 0): Float32Array {
  const n = labelCount(labels);
  const out = new Float32Array(labels.length);
  for (let i = 0; i < n; i++) {
    const o = 5 * i;
    const [cx, cy, bw, bh] = [labels[o + 1], labels[o + 2], labels[o + 3], labels[o + 4]];
    out[o] = labels[o];
    out[o + 1] = w * (cx - bw / 2) + padw;
    out[o + 2] = h * (cy - bh / 2) + padh;
    out[o + 3] = w * (cx + bw / 2) + padw;
    out[o + 4] = h * (cy + bh / 2) + padh;
  }
  return out;
}

/**
 * Pixel `[c, x1, y1, x2, y2]` rows -> normalised `[c, cx, cy, w, h]` for a w x h image; with `clip`
 * (default true) corners are first clamped to [0, w - eps] x [0, h - eps] (eps default 1e-3).
 * Mirrors utils/general.py `xyxy2xywhn(..., clip=True, eps=1e-3)`.
 */
export function xyxyToXywhn(
  labels: Float32Array,
  w: number,
  h: number,
  opts: { clip?: boolean; eps?: number } = {},
): Float32Array {
  const clip = opts.clip ?? true;
  const eps = opts.eps ?? 1e-3;
  const n = labelCount(labels);
  const out = new Float32Array(labels.length);
  const cl = (v: number, hi: number) => (clip ? Math.min(Math.max(v, 0), hi) : v);
  for (let i = 0; i < n; i++) {
    const o = 5 * i;
    const x1 = cl(labels[o + 1], w - eps), y1 = cl(labels[o + 2], h - eps);
    const x2 = cl(labels[o + 3], w - eps), y2 = cl(labels[o + 4], h - eps);
    out[o] = labels[o];
    out[o + 1] = (x1 + x2) / 2 / w;
    out[o + 2] = (y1 + y2) / 2 / h;
    out[o + 3] = (x2 - x1) / w;
    out[o + 4] = (y2 - y1) / h;
  }
  return out;
}

/** Pixel boxes clamped to [0, w] x [0, h]. Mirrors `np.clip(labels[:, 1:], 0, size)` of load_mosaic. */
export function clipXyxy(labels: Float32Array, w: number, h: number): Float32Array {
  const out = labels.slice();
  for (let o = 0; o < out.length; o += 5) {
    out[o + 1] = Math.min(Math.max(out[o + 1], 0), w);
    out[o + 2] = Math.min(Math.max(out[o + 2], 0), h);
    out[o + 3] = Math.min(Math.max(out[o + 3], 0), w);
    out[o + 4] = Math.min(Math.max(out[o + 4], 0), h);
  }
  return out;
}

/** Thresholds of {@link boxCandidates} (official defaults). */
export interface BoxCandidateOptions {
  /** Minimum width and height in pixels after augmentation (strict). Default 2. */
  whThr?: number;
  /** Maximum aspect ratio (strict). Default 100. */
  arThr?: number;
  /** Minimum area ratio new / (old x scale^2) (strict). Default 0.1. */
  areaThr?: number;
}

/**
 * Which augmented boxes to keep: `before` are the original `[x1, y1, x2, y2]` rows (already multiplied by
 * the augmentation's scale), `after` the transformed ones, both as flat arrays of 4 per box. Mirrors
 * utils/augmentations.py `box_candidates(wh_thr=2, ar_thr=100, area_thr=0.1, eps=1e-16)`.
 */
export function boxCandidates(
  before: Float32Array | Float64Array,
  after: Float32Array | Float64Array,
  opts: BoxCandidateOptions = {},
): boolean[] {
  const whThr = opts.whThr ?? 2, arThr = opts.arThr ?? 100, areaThr = opts.areaThr ?? 0.1;
  const eps = 1e-16;
  const n = after.length / 4;
  const keep: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const w1 = before[4 * i + 2] - before[4 * i], h1 = before[4 * i + 3] - before[4 * i + 1];
    const w2 = after[4 * i + 2] - after[4 * i], h2 = after[4 * i + 3] - after[4 * i + 1];
    const ar = Math.max(w2 / (h2 + eps), h2 / (w2 + eps));
    keep.push(w2 > whThr && h2 > whThr && (w2 * h2) / (w1 * h1 + eps) > areaThr && ar < arThr);
  }
  return keep;
}

/**
 * Intersection over the area of each box in `boxes` (flat `[x1, y1, x2, y2]` rows) for one box `a`.
 * Mirrors utils/metrics.py `bbox_ioa(box1, box2)` (intersection / box2 area, eps 1e-7).
 */
export function bboxIoa(a: ArrayLike<number>, boxes: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let j = 0; j < boxes.length; j += 4) {
    const iw = Math.max(Math.min(a[2], boxes[j + 2]) - Math.max(a[0], boxes[j]), 0);
    const ih = Math.max(Math.min(a[3], boxes[j + 3]) - Math.max(a[1], boxes[j + 1]), 0);
    const area = (boxes[j + 2] - boxes[j]) * (boxes[j + 3] - boxes[j + 1]) + 1e-7;
    out.push((iw * ih) / area);
  }
  return out;
}

/** Rows of `labels` (rows of 5) whose index has `keep[i]` true. */
export function selectRows(labels: Float32Array, keep: readonly boolean[]): Float32Array {
  const out: number[] = [];
  for (let i = 0; i < keep.length; i++) {
    if (keep[i]) { for (let k = 0; k < 5; k++) out.push(labels[5 * i + k]); }
  }
  return new Float32Array(out);
}

/** Concatenation of label arrays (rows of 5). */
export function concatLabels(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
