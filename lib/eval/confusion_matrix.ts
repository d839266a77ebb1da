/**
 * The detection confusion matrix of utils/metrics.py `ConfusionMatrix` (conf 0.25, IoU 0.45): an
 * (nc+1) x (nc+1) count matrix indexed [predicted][true], the last row/column being background.
 * @module
 */
import { boxIouMatrixF32 } from "./box_ops.ts";
import { numpyArgsort } from "./numpy_sort.ts";

/** Confusion-matrix state; `matrix` is row-major (nc+1) x (nc+1), rows = predicted class, columns = true class. */
export interface ConfusionMatrix {
  nc: number;
  conf: number;
  iouThres: number;
  matrix: Float64Array;
}

/** A zero matrix for `nc` classes (ConfusionMatrix.__init__). */
export function createConfusionMatrix(nc: number, conf = 0.25, iouThres = 0.45): ConfusionMatrix {
  if (!Number.isInteger(nc) || nc < 1) {
    throw new RangeError(`createConfusionMatrix: expected nc >= 1, got ${nc}`);
  }
  return { nc, conf, iouThres, matrix: new Float64Array((nc + 1) * (nc + 1)) };
}

function checkClass(cm: ConfusionMatrix, c: number, what: string): number {
  const k = Math.trunc(c);
  if (!(k >= 0 && k < cm.nc)) {
    throw new RangeError(`confusion matrix: ${what} class ${c} outside 0..${cm.nc - 1}`);
  }
  return k;
}

/**
 * ConfusionMatrix.process_batch (in place). `detections`: rows [x1, y1, x2, y2, conf, cls] or null (no
 * predictions: every label counts as missed); `labels`: rows [cls, x1, y1, x2, y2]. Reference quirk kept:
 * when no pair passes the IoU threshold, unmatched detections are not counted as background false positives.
 */
export function updateConfusionMatrix(
  cm: ConfusionMatrix,
  detections: ArrayLike<number> | null,
  labels: ArrayLike<number>,
): void {
  const N = cm.nc + 1, bg = cm.nc;
  if (labels.length % 5 !== 0) {
    throw new RangeError(`confusion matrix: expected 5 numbers per label, got ${labels.length}`);
  }
  if (detections === null) {
    for (let i = 0; i < labels.length; i += 5) cm.matrix[bg * N + checkClass(cm, labels[i], "label")]++;
    return;
  }
  if (detections.length % 6 !== 0) {
    throw new RangeError(`confusion matrix: expected 6 numbers per detection, got ${detections.length}`);
  }
  const keep: number[] = [];
  for (let j = 0; j < detections.length / 6; j++) if (detections[6 * j + 4] > cm.conf) keep.push(j);
  const n = keep.length, m = labels.length / 5;
  const db = new Float32Array(n * 4), lb = new Float32Array(m * 4);
  keep.forEach((j, r) => {
    for (let k = 0; k < 4; k++) db[4 * r + k] = detections[6 * j + k];
  });
  for (let i = 0; i < m; i++) for (let k = 0; k < 4; k++) lb[4 * i + k] = labels[5 * i + 1 + k];
  const gtCls = Array.from({ length: m }, (_, i) => checkClass(cm, labels[5 * i], "label"));
  const dtCls = keep.map((j) => checkClass(cm, detections[6 * j + 5], "detection"));
  const iou = boxIouMatrixF32(lb, db);
  // (label, detection, iou) with iou > thr in row-major order
  let matches: [number, number, number][] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) if (iou[i * n + j] > cm.iouThres) matches.push([i, j, iou[i * n + j]]);
  }
  if (matches.length > 1) {
    // matches[matches[:, 2].argsort()[::-1]] with NumPy's quicksort order for ties
    const byIouDesc = (xs: [number, number, number][]) =>
      Array.from(numpyArgsort(xs.map((x) => x[2]))).reverse().map((k) => xs[k]);
    const firstBy = (xs: [number, number, number][], col: 0 | 1) => {
      const seen = new Map<number, [number, number, number]>();
      for (const x of xs) if (!seen.has(x[col])) seen.set(x[col], x);
      return [...seen.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
    };
    matches = firstBy(byIouDesc(firstBy(byIouDesc(matches), 1)), 0);
  }
  const any = matches.length > 0;
  for (let i = 0; i < m; i++) {
    const hits = matches.filter((x) => x[0] === i);
    if (any && hits.length === 1) cm.matrix[dtCls[hits[0][1]] * N + gtCls[i]]++;
    else cm.matrix[bg * N + gtCls[i]]++;
  }
  if (any) {
    for (let j = 0; j < n; j++) if (!matches.some((x) => x[1] === j)) cm.matrix[dtCls[j] * N + bg]++;
  }
}

/** ConfusionMatrix.tp_fp: per-class true positives (diagonal) and false positives (row sum - diagonal). */
export function confusionTpFp(cm: ConfusionMatrix): { tp: Float64Array; fp: Float64Array } {
  const N = cm.nc + 1;
  const tp = new Float64Array(cm.nc), fp = new Float64Array(cm.nc);
  for (let c = 0; c < cm.nc; c++) {
    let row = 0;
    for (let k = 0; k < N; k++) row += cm.matrix[c * N + k];
    tp[c] = cm.matrix[c * N + c];
    fp[c] = row - tp[c];
  }
  return { tp, fp };
}
