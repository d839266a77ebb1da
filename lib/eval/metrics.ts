/**
 * YOLO-style detection metrics of the training/validation logs (utils/metrics.py `ap_per_class`,
 * `compute_ap` with the 101-point 'interp' method, `smooth`, `fitness`; val.py's mean P/R/mAP50/mAP50-95),
 * in float64 NumPy arithmetic.
 * @module
 */
import { interp, linspace, npMean, pairwiseSum, roundHalfEven, trapz } from "./numpy_compat.ts";
import { numpyArgsort } from "./numpy_sort.ts";

/** utils/metrics.py compute_ap: AP of one recall/precision curve, with the sentinel-padded envelope. */
export function computeAp(
  recall: ArrayLike<number>,
  precision: ArrayLike<number>,
): { ap: number; mpre: Float64Array; mrec: Float64Array } {
  const n = recall.length;
  const mrec = new Float64Array(n + 2), mpre = new Float64Array(n + 2);
  mrec[0] = 0;
  mpre[0] = 1;
  for (let i = 0; i < n; i++) {
    mrec[i + 1] = recall[i];
    mpre[i + 1] = precision[i];
  }
  mrec[n + 1] = 1;
  mpre[n + 1] = 0;
  for (let i = n; i >= 0; i--) mpre[i] = Math.max(mpre[i], mpre[i + 1]);
  const x = linspace(0, 1, 101);
  return { ap: trapz(interp(x, mrec, mpre), x), mpre, mrec };
}

/** utils/metrics.py smooth: box filter of fraction f with edge padding (`np.convolve` 'valid'). */
export function smooth(y: ArrayLike<number>, frac = 0.05): Float64Array {
  const nf = Math.floor(roundHalfEven(y.length * frac * 2) / 2) + 1;
  const pad = Math.floor(nf / 2);
  const yp = new Float64Array(y.length + 2 * pad);
  for (let i = 0; i < yp.length; i++) {
    yp[i] = i < pad ? y[0] : i >= pad + y.length ? y[y.length - 1] : y[i - pad];
  }
  const out = new Float64Array(yp.length - nf + 1);
  const w = 1 / nf;
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let k = 0; k < nf; k++) s += yp[i + k] * w;
    out[i] = s;
  }
  return out;
}

/** Result of {@link apPerClass}; per-class arrays follow `classes` (the classes that have labels). */
export interface ApPerClassResult {
  /** True/false positives at the max-F1 confidence (rounded as the reference). */
  tp: Float64Array;
  fp: Float64Array;
  p: Float64Array;
  r: Float64Array;
  f1: Float64Array;
  /** AP per class and IoU threshold, row-major (nc x T). */
  ap: Float64Array;
  nIou: number;
  classes: number[];
  /** Number of labels per class. */
  nt: number[];
  /** Confidence axis of the curves (linspace(0, 1, 1000)) and the index of the max smoothed mean F1. */
  px: Float64Array;
  bestIndex: number;
  /** Per class: precision on px (recall axis) at IoU 0.5 (zeros for classes without predictions). */
  py: Float64Array[];
  /** Per class: precision, recall and F1 versus confidence px. */
  pCurve: Float64Array[];
  rCurve: Float64Array[];
  f1Curve: Float64Array[];
}

/**
 * utils/metrics.py ap_per_class. `tp`: n x T row-major 0/1 (from {@link processBatch}); `conf`, `predCls`: n
 * values; `targetCls`: the class of every label. Detections are ordered by `np.argsort(-conf)` (NumPy's
 * quicksort replayed, so equal confidences keep the reference's order).
 */
export function apPerClass(
  tp: ArrayLike<number>,
  conf: ArrayLike<number>,
  predCls: ArrayLike<number>,
  targetCls: ArrayLike<number>,
  eps = 1e-16,
): ApPerClassResult {
  const n = conf.length;
  if (predCls.length !== n) {
    throw new RangeError(`apPerClass: ${n} confidences but ${predCls.length} classes`);
  }
  const T = n > 0 ? tp.length / n : 10;
  if (n > 0 && !Number.isInteger(T)) {
    throw new RangeError(`apPerClass: tp has ${tp.length} values, not a multiple of ${n}`);
  }
  const order = numpyArgsort(Array.from(conf, (c) => -c));
  const counts = new Map<number, number>();
  for (let i = 0; i < targetCls.length; i++) counts.set(targetCls[i], (counts.get(targetCls[i]) ?? 0) + 1);
  const classes = [...counts.keys()].sort((a, b) => a - b);
  const nt = classes.map((c) => counts.get(c)!);
  const nc = classes.length;
  const px = linspace(0, 1, 1000);
  const negPx = px.map((v) => -v);
  const ap = new Float64Array(nc * T);
  const pCurve: Float64Array[] = classes.map(() => new Float64Array(1000));
  const rCurve: Float64Array[] = classes.map(() => new Float64Array(1000));
  const py: Float64Array[] = classes.map(() => new Float64Array(1000));
  classes.forEach((c, ci) => {
    const idx = Array.from(order).filter((i) => predCls[i] === c);
    const nl = nt[ci];
    if (idx.length === 0 || nl === 0) return;
    const negConf = idx.map((i) => -conf[i]);
    const recall: Float64Array[] = [], precision: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const rc = new Float64Array(idx.length), pr = new Float64Array(idx.length);
      let tpc = 0, fpc = 0;
      idx.forEach((i, k) => {
        if (tp[i * T + t]) tpc++;
        else fpc++;
        rc[k] = tpc / (nl + eps);
        pr[k] = tpc / (tpc + fpc);
      });
      recall.push(rc);
      precision.push(pr);
    }
    rCurve[ci] = interp(negPx, negConf, recall[0], 0);
    pCurve[ci] = interp(negPx, negConf, precision[0], 1);
    for (let t = 0; t < T; t++) {
      const res = computeAp(recall[t], precision[t]);
      ap[ci * T + t] = res.ap;
      if (t === 0) py[ci] = interp(px, res.mrec, res.mpre);
    }
  });
  const f1Curve = classes.map((_, ci) =>
    pCurve[ci].map((p, j) => 2 * p * rCurve[ci][j] / (p + rCurve[ci][j] + eps))
  );
  const meanF1 = new Float64Array(1000);
  for (let j = 0; j < 1000; j++) {
    let s = 0;
    for (let ci = 0; ci < nc; ci++) s += f1Curve[ci][j];
    meanF1[j] = s / nc;
  }
  const sm = smooth(meanF1, 0.1);
  let best = 0;
  for (let j = 1; j < sm.length; j++) if (sm[j] > sm[best]) best = j;
  const p = Float64Array.from(pCurve, (c) => c[best]);
  const r = Float64Array.from(rCurve, (c) => c[best]);
  const f1 = Float64Array.from(f1Curve, (c) => c[best]);
  const tpOut = Float64Array.from(r, (v, ci) => roundHalfEven(v * nt[ci]));
  const fpOut = Float64Array.from(tpOut, (v, ci) => roundHalfEven(v / (p[ci] + eps) - v));
  return {
    tp: tpOut,
    fp: fpOut,
    p,
    r,
    f1,
    ap,
    nIou: T,
    classes,
    nt,
    px,
    bestIndex: best,
    py,
    pCurve,
    rCurve,
    f1Curve,
  };
}

/** val.py's summary of {@link apPerClass}: mean P, mean R, mAP@0.5, mAP@0.5:0.95 and per-class AP50 / AP. */
export function summarizeApPerClass(res: ApPerClassResult): {
  mp: number;
  mr: number;
  map50: number;
  map: number;
  ap50: Float64Array;
  apMean: Float64Array;
} {
  const nc = res.classes.length, T = res.nIou;
  const ap50 = Float64Array.from({ length: nc }, (_, c) => res.ap[c * T]);
  const apMean = Float64Array.from({ length: nc }, (_, c) => npMean(res.ap.subarray(c * T, (c + 1) * T)));
  return { mp: npMean(res.p), mr: npMean(res.r), map50: npMean(ap50), map: npMean(apMean), ap50, apMean };
}

/** utils/metrics.py fitness: 0.1 * mAP@0.5 + 0.9 * mAP@0.5:0.95 of a [P, R, mAP50, mAP50-95] row. */
export function fitness(x: readonly number[]): number {
  if (x.length < 4) throw new RangeError(`fitness: expected [P, R, mAP50, mAP50-95], got ${x.length} values`);
  return pairwiseSum([x[0] * 0.0, x[1] * 0.0, x[2] * 0.1, x[3] * 0.9]);
}
