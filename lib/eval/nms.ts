/**
 * Non-maximum suppression on the decoded model output, mirroring utils/general.py `non_max_suppression` and
 * torchvision's CPU `nms` kernel, including their float32 arithmetic and their (unstable) sort order for
 * equal scores. Works on plain Float32Arrays; a tfjs tensor (anything with `shape` and `dataSync()`) is
 * accepted at the edge on backends with synchronous reads, and by {@link nonMaxSuppressionAsync}
 * (read with `await`) on every backend, webgpu too.
 * @module
 */
import { boxAreasF32, nmsIouF32, xywhToXyxyF32 } from "./box_ops.ts";
import { stableArgsortDescending, torchArgsortDescending } from "./torch_sort.ts";

/** Options of {@link nonMaxSuppression}; defaults are those of utils/general.py. */
export interface NmsOptions {
  /** Keep boxes whose (best) class score is > confThres (strict). Default 0.25. */
  confThres?: number;
  /** Suppress a box whose IoU with a kept one is > iouThres (strict). Default 0.45. */
  iouThres?: number;
  /** Keep only these class indices (`classes` argument), applied after candidate selection. */
  classes?: readonly number[] | null;
  /** Class-agnostic NMS (no per-class box offset). Default false. */
  agnostic?: boolean;
  /** One row per (box, class) with score > confThres instead of the best class only; ignored when nc = 1. */
  multiLabel?: boolean;
  /** At most this many rows per image. Default 300. */
  maxDet?: number;
  /** At most this many highest-scoring candidates enter the NMS. Default 30000. */
  maxNms?: number;
  /** Class offset in pixels for class-aware NMS. Default 7680. */
  maxWh?: number;
}

/** One image's detections: `n` rows [x1, y1, x2, y2, conf, cls] in `rows` (row-major, float32). */
export interface Detections {
  n: number;
  rows: Float32Array;
}

/** A prediction given as data + shape (B, 4+nc, A), or a tfjs-like tensor of that shape. */
export type PredictionInput =
  | { data: ArrayLike<number>; shape: readonly number[] }
  | { shape: readonly number[]; dataSync(): ArrayLike<number> };

/**
 * torchvision.ops.nms on CPU (0.14): indices of kept boxes (xyxy, float32) in order of decreasing score; a box
 * is suppressed when its float32 IoU with an already kept box is > iouThreshold. The kernel sorts the scores
 * stably, so equal scores are visited in index order.
 */
export function torchvisionNms(
  boxes: Float32Array,
  scores: ArrayLike<number>,
  iouThreshold: number,
): Int32Array {
  const n = scores.length;
  if (boxes.length !== 4 * n) {
    throw new RangeError(`nms: expected ${4 * n} box values for ${n} scores, got ${boxes.length}`);
  }
  const areas = boxAreasF32(boxes);
  const order = stableArgsortDescending(scores);
  const suppressed = new Uint8Array(n);
  const keep: number[] = [];
  const skipDisjoint = iouThreshold >= 0;
  for (let a = 0; a < n; a++) {
    const i = order[a];
    if (suppressed[i]) continue;
    keep.push(i);
    const ix1 = boxes[4 * i], iy1 = boxes[4 * i + 1], ix2 = boxes[4 * i + 2], iy2 = boxes[4 * i + 3];
    for (let b = a + 1; b < n; b++) {
      const j = order[b];
      if (suppressed[j]) continue;
      // no overlap -> IoU 0 (or NaN for two empty boxes), never > a threshold in [0, 1]
      if (skipDisjoint) {
        if (Math.min(ix2, boxes[4 * j + 2]) <= Math.max(ix1, boxes[4 * j])) continue;
        if (Math.min(iy2, boxes[4 * j + 3]) <= Math.max(iy1, boxes[4 * j + 1])) continue;
      }
      if (nmsIouF32(boxes, areas, i, j) > iouThreshold) suppressed[j] = 1;
    }
  }
  return Int32Array.from(keep);
}

function readPrediction(pred: PredictionInput): { data: ArrayLike<number>; shape: readonly number[] } {
  // A tf.Tensor has a `data` member too (its async reader): test for the tensor first.
  if ("dataSync" in pred) return { data: pred.dataSync(), shape: pred.shape };
  return pred;
}

/**
 * utils/general.py non_max_suppression: per image, candidates with max class score > confThres, boxes to
 * xyxy, best class (or every class above the threshold with multiLabel), class filter, sort by score
 * (PyTorch's order), at most maxNms, class-offset torchvision NMS, at most maxDet rows. Input layout
 * (B, 4+nc, A): rows cx, cy, w, h, then nc class probabilities. The time limit of the reference is not applied.
 */
export function nonMaxSuppression(pred: PredictionInput, opts: NmsOptions = {}): Detections[] {
  const { data, shape } = readPrediction(pred);
  const confThres = opts.confThres ?? 0.25, iouThres = opts.iouThres ?? 0.45;
  const maxDet = opts.maxDet ?? 300, maxNms = opts.maxNms ?? 30000, maxWh = opts.maxWh ?? 7680;
  if (shape.length !== 3 || shape[1] < 5) {
    throw new RangeError(
      `nonMaxSuppression: expected a prediction of shape (B, 4+nc, A) with nc >= 1, got (${
        shape.join(", ")
      })`,
    );
  }
  const [bs, ch, na] = shape;
  if (data.length !== bs * ch * na) {
    throw new RangeError(
      `nonMaxSuppression: shape (${shape.join(", ")}) needs ${bs * ch * na} values, got ${data.length}`,
    );
  }
  if (!(confThres >= 0 && confThres <= 1)) {
    throw new RangeError(`Invalid confidence threshold ${confThres}, expected 0..1`);
  }
  if (!(iouThres >= 0 && iouThres <= 1)) {
    throw new RangeError(`Invalid IoU threshold ${iouThres}, expected 0..1`);
  }
  const nc = ch - 4;
  const multiLabel = (opts.multiLabel ?? false) && nc > 1;
  const classSet = opts.classes ? new Set(opts.classes) : null;
  const out: Detections[] = [];
  for (let b = 0; b < bs; b++) {
    const base = b * ch * na;
    const at = (c: number, a: number) => Math.fround(data[base + c * na + a]);
    // candidate rows (box, conf, cls) in anchor order, then class order for multi-label
    const cand: number[] = [];
    for (let a = 0; a < na; a++) {
      let best = -Infinity, bestJ = 0;
      for (let j = 0; j < nc; j++) {
        const s = at(4 + j, a);
        if (s > best || (Number.isNaN(s) && !Number.isNaN(best))) {
          best = s;
          bestJ = j;
        }
      }
      if (!(best > confThres)) continue;
      const xyxy = xywhToXyxyF32([at(0, a), at(1, a), at(2, a), at(3, a)]);
      if (multiLabel) {
        for (let j = 0; j < nc; j++) {
          const s = at(4 + j, a);
          if (s > confThres) cand.push(xyxy[0], xyxy[1], xyxy[2], xyxy[3], s, j);
        }
      } else cand.push(xyxy[0], xyxy[1], xyxy[2], xyxy[3], best, bestJ);
    }
    let rows: Float32Array = Float32Array.from(cand);
    if (classSet) rows = filterRows(rows, (r) => classSet.has(rows[6 * r + 5]));
    const n = rows.length / 6;
    if (n === 0) {
      out.push({ n: 0, rows: new Float32Array(0) });
      continue;
    }
    const conf = new Float32Array(n);
    for (let r = 0; r < n; r++) conf[r] = rows[6 * r + 4];
    const order = torchArgsortDescending(conf).subarray(0, Math.min(n, maxNms));
    const m = order.length;
    const x = new Float32Array(m * 6);
    for (let r = 0; r < m; r++) x.set(rows.subarray(6 * order[r], 6 * order[r] + 6), 6 * r);
    const boxes = new Float32Array(m * 4);
    const scores = new Float32Array(m);
    for (let r = 0; r < m; r++) {
      const off = Math.fround(x[6 * r + 5] * (opts.agnostic ? 0 : maxWh));
      for (let k = 0; k < 4; k++) boxes[4 * r + k] = x[6 * r + k] + off;
      scores[r] = x[6 * r + 4];
    }
    const keep = torchvisionNms(boxes, scores, iouThres);
    const k = Math.min(keep.length, maxDet);
    const kept = new Float32Array(k * 6);
    for (let r = 0; r < k; r++) kept.set(x.subarray(6 * keep[r], 6 * keep[r] + 6), 6 * r);
    out.push({ n: k, rows: kept });
  }
  return out;
}

function filterRows(rows: Float32Array, pred: (r: number) => boolean): Float32Array {
  const keep: number[] = [];
  for (let r = 0; r < rows.length / 6; r++) if (pred(r)) keep.push(r);
  const out = new Float32Array(keep.length * 6);
  keep.forEach((r, i) => out.set(rows.subarray(6 * r, 6 * r + 6), 6 * i));
  return out;
}

/**
 * {@link nonMaxSuppression} of a tensor (B, 4+nc, A) whose values are read with `await`: for backends
 * without synchronous reads (webgpu), and so that no read stalls a GPU queue.
 *
 * @example
 * ```ts
 * const [det] = await nonMaxSuppressionAsync(predict(spec, weights, x), { confThres: 0.25 });
 * ```
 */
export async function nonMaxSuppressionAsync(
  pred: { shape: readonly number[]; data(): Promise<ArrayLike<number>> },
  opts: NmsOptions = {},
): Promise<Detections[]> {
  return nonMaxSuppression({ data: await pred.data(), shape: pred.shape }, opts);
}
