/**
 * Detection-to-label matching of the YOLO validation loop (val.py `process_batch` with
 * `iouv = torch.linspace(0.5, 0.95, 10)`), in float32 like the reference tensors.
 * @module
 */
import { boxIouMatrixF32 } from "./box_ops.ts";
import { numpyArgsort } from "./numpy_sort.ts";

const f = Math.fround;

/** `torch.linspace(start, end, steps)` in float32 on CPU (first half from start, second half back from end). */
export function torchLinspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 1) out[0] = start;
  if (steps <= 1) return out;
  const s = f(start), e = f(end);
  const step = f(f(e - s) / (steps - 1));
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) out[i] = i < half ? s + f(step * i) : e - f(step * (steps - i - 1));
  return out;
}

/** The IoU thresholds of val.py: torch.linspace(0.5, 0.95, 10) in float32. */
export function valIouThresholds(): Float32Array {
  return torchLinspaceF32(0.5, 0.95, 10);
}

/**
 * val.py process_batch: which detections are true positives at each IoU threshold.
 *
 * `detections`: n rows [x1, y1, x2, y2, conf, cls] (flat); `labels`: m rows [cls, x1, y1, x2, y2] (flat), both
 * in the same pixel space. For each threshold, candidate pairs have IoU >= thr and equal class; pairs are
 * ordered by IoU descending (NumPy's `argsort()[::-1]`, ties included), each detection keeps its first pair,
 * then each label keeps the pair with the lowest detection index (the reference's second re-sort is commented
 * out). Returns an n x T row-major 0/1 matrix.
 */
export function processBatch(
  detections: ArrayLike<number>,
  labels: ArrayLike<number>,
  iouv: ArrayLike<number> = valIouThresholds(),
): Uint8Array {
  if (detections.length % 6 !== 0) {
    throw new RangeError(`processBatch: expected 6 numbers per detection, got ${detections.length}`);
  }
  if (labels.length % 5 !== 0) {
    throw new RangeError(`processBatch: expected 5 numbers per label, got ${labels.length}`);
  }
  const n = detections.length / 6, m = labels.length / 5, T = iouv.length;
  const correct = new Uint8Array(n * T);
  if (n === 0 || m === 0) return correct;
  const lb = new Float32Array(m * 4), db = new Float32Array(n * 4);
  for (let i = 0; i < m; i++) for (let k = 0; k < 4; k++) lb[4 * i + k] = labels[5 * i + 1 + k];
  for (let j = 0; j < n; j++) for (let k = 0; k < 4; k++) db[4 * j + k] = detections[6 * j + k];
  const iou = boxIouMatrixF32(lb, db);
  for (let t = 0; t < T; t++) {
    const thr = f(iouv[t]);
    // candidate pairs in row-major (label, detection) order, as torch.where
    const pairs: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        if (iou[i * n + j] >= thr && f(labels[5 * i]) === f(detections[6 * j + 5])) pairs.push(i * n + j);
      }
    }
    if (pairs.length === 0) continue;
    let kept = pairs;
    if (pairs.length > 1) {
      // matches[matches[:, 2].argsort()[::-1]] with NumPy's (unstable) quicksort order
      const asc = numpyArgsort(pairs.map((p) => iou[p]));
      const desc = Array.from(asc).reverse().map((k) => pairs[k]);
      const byDet = new Map<number, number>();
      for (const p of desc) if (!byDet.has(p % n)) byDet.set(p % n, p);
      const uniqDet = [...byDet.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
      const byLabel = new Map<number, number>();
      for (const p of uniqDet) if (!byLabel.has(Math.floor(p / n))) byLabel.set(Math.floor(p / n), p);
      kept = [...byLabel.values()];
    }
    for (const p of kept) correct[(p % n) * T + t] = 1;
  }
  return correct;
}
