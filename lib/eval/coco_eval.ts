/**
 * COCO box evaluation with pycocotools semantics (pycocotools/cocoeval.py COCOeval `evaluate` and
 * `accumulate`, iouType 'bbox'): per image and category, detections sorted by score (stable), at most
 * maxDets[-1]; greedy matching per IoU threshold preferring non-ignored ground truths; crowd and out-of-range
 * ground truths ignored; 101-point interpolated precision over the image-wide score order.
 * @module
 */
import { cocoBoxIou } from "./box_ops.ts";
import type { CocoGroundTruth, CocoResults, Detection, GtAnnotation, ImageId } from "./coco_data.ts";
import { linspace, searchsortedLeft } from "./numpy_compat.ts";
import { stableArgsortDescending } from "./torch_sort.ts";

/** COCOeval parameters (pycocotools Params.setDetParams). */
export interface CocoParams {
  iouThrs: Float64Array;
  recThrs: Float64Array;
  maxDets: number[];
  areaRng: [number, number][];
  areaRngLbl: string[];
  useCats: boolean;
  /** Restrict to these images (default: all ground-truth images). */
  imgIds?: ImageId[];
  /** Restrict to these categories (default: all ground-truth categories). */
  catIds?: number[];
}

/** The default box parameters: IoU .50:.05:.95, recall 0:.01:1, maxDets 1/10/100, areas all/small/medium/large. */
export function defaultCocoParams(): CocoParams {
  return {
    iouThrs: linspace(0.5, 0.95, Math.round((0.95 - 0.5) / 0.05) + 1),
    recThrs: linspace(0.0, 1.0, Math.round((1.0 - 0.0) / 0.01) + 1),
    maxDets: [1, 10, 100],
    areaRng: [[0 ** 2, 1e5 ** 2], [0 ** 2, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]],
    areaRngLbl: ["all", "small", "medium", "large"],
    useCats: true,
  };
}

/** One evaluateImg record (one image, category and area range). Matrices are T x D / T x G, row-major. */
export interface EvalImg {
  dtIds: number[];
  gtIds: number[];
  /** Matched ground-truth id per threshold and detection, 0 when unmatched. */
  dtMatches: Float64Array;
  gtMatches: Float64Array;
  dtScores: Float64Array;
  gtIgnore: Uint8Array;
  dtIgnore: Uint8Array;
}

/** Result of {@link evaluateCoco}: evalImgs indexed [catIdx][areaIdx][imgIdx] (flattened), null where empty. */
export interface CocoEvaluation {
  params: CocoParams;
  imgIds: ImageId[];
  catIds: number[];
  evalImgs: (EvalImg | null)[];
}

function sortIds(ids: ImageId[]): ImageId[] {
  const u = [...new Set(ids)];
  return typeof u[0] === "number"
    ? (u as number[]).sort((a, b) => a - b)
    : (u as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** COCOeval.evaluate: per-image, per-category, per-area-range matching at every IoU threshold. */
export function evaluateCoco(
  gt: CocoGroundTruth,
  dt: CocoResults,
  params: CocoParams = defaultCocoParams(),
): CocoEvaluation {
  const p = params;
  const imgIds = sortIds(p.imgIds ?? gt.imageIds);
  const catIds = [...new Set(p.catIds ?? gt.categoryIds)].sort((a, b) => a - b);
  const maxDets = [...p.maxDets].sort((a, b) => a - b);
  const imgIndex = new Map(imgIds.map((id, i) => [id, i]));
  const catIndex = new Map(catIds.map((id, i) => [id, i]));
  const K = p.useCats ? catIds.length : 1, I = imgIds.length, A = p.areaRng.length, T = p.iouThrs.length;
  // group in file order; without useCats, per image in catIds order then file order (pycocotools list comps)
  const gts: GtAnnotation[][] = Array.from({ length: K * I }, () => []);
  const dts: Detection[][] = Array.from({ length: K * I }, () => []);
  const slot = (img: ImageId, cat: number): number => {
    const i = imgIndex.get(img), k = catIndex.get(cat);
    return i === undefined || k === undefined ? -1 : (p.useCats ? k : 0) * I + i;
  };
  const byCat = <T extends { category_id: number }>(xs: T[]) =>
    p.useCats ? xs : [...xs].sort((a, b) => catIndex.get(a.category_id)! - catIndex.get(b.category_id)!);
  for (const g of byCat(gt.annotations.filter((a) => catIndex.has(a.category_id)))) {
    const s = slot(g.image_id, g.category_id);
    if (s >= 0) gts[s].push(g);
  }
  for (const d of byCat(dt.detections.filter((a) => catIndex.has(a.category_id)))) {
    const s = slot(d.image_id, d.category_id);
    if (s >= 0) dts[s].push(d);
  }
  const maxDet = maxDets[maxDets.length - 1];
  const evalImgs: (EvalImg | null)[] = new Array(K * A * I).fill(null);
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < I; i++) {
      const g = gts[k * I + i], dAll = dts[k * I + i];
      if (g.length === 0 && dAll.length === 0) continue;
      const order = stableArgsortDescending(dAll.map((d) => d.score));
      const d = Array.from(order.subarray(0, Math.min(order.length, maxDet)), (j) => dAll[j]);
      const ious = cocoBoxIou(d.flatMap((x) => x.bbox), g.flatMap((x) => x.bbox), g.map((x) => x.iscrowd));
      for (let a = 0; a < A; a++) {
        evalImgs[(k * A + a) * I + i] = evaluateImg(g, d, ious, p.areaRng[a], T, p.iouThrs);
      }
    }
  }
  return { params: { ...p, maxDets }, imgIds, catIds, evalImgs };
}

/** COCOeval.evaluateImg for one image/category (dt already sorted and cut) and one area range. */
function evaluateImg(
  gtAll: GtAnnotation[],
  dt: Detection[],
  iousAll: Float64Array,
  aRng: [number, number],
  T: number,
  iouThrs: Float64Array,
): EvalImg {
  const G = gtAll.length, D = dt.length;
  const ignoreAll = gtAll.map((g) => (g.iscrowd || g.area < aRng[0] || g.area > aRng[1] ? 1 : 0));
  const gtind = [...gtAll.keys()].sort((x, y) => ignoreAll[x] - ignoreAll[y]); // stable: non-ignored first
  const gt = gtind.map((j) => gtAll[j]);
  const gtIg = Uint8Array.from(gtind, (j) => ignoreAll[j]);
  const gtm = new Float64Array(T * G), dtm = new Float64Array(T * D), dtIg = new Uint8Array(T * D);
  if (G > 0 && D > 0) {
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < D; d++) {
        let iou = Math.min(iouThrs[t], 1 - 1e-10);
        let m = -1;
        for (let g = 0; g < G; g++) {
          if (gtm[t * G + g] > 0 && !gt[g].iscrowd) continue;
          if (m > -1 && gtIg[m] === 0 && gtIg[g] === 1) break;
          const v = iousAll[d * G + gtind[g]];
          if (v < iou) continue;
          iou = v;
          m = g;
        }
        if (m === -1) continue;
        dtIg[t * D + d] = gtIg[m];
        dtm[t * D + d] = gt[m].id;
        gtm[t * G + m] = dt[d].id;
      }
    }
  }
  for (let d = 0; d < D; d++) {
    if (!(dt[d].area < aRng[0] || dt[d].area > aRng[1])) continue;
    for (let t = 0; t < T; t++) if (dtm[t * D + d] === 0) dtIg[t * D + d] = 1;
  }
  return {
    dtIds: dt.map((x) => x.id),
    gtIds: gt.map((x) => x.id),
    dtMatches: dtm,
    gtMatches: gtm,
    dtScores: Float64Array.from(dt, (x) => x.score),
    gtIgnore: gtIg,
    dtIgnore: dtIg,
  };
}

/** Accumulated arrays: precision/scores [T][R][K][A][M], recall [T][K][A][M], -1 where no ground truth. */
export interface CocoAccumulation {
  counts: [number, number, number, number, number];
  precision: Float64Array;
  recall: Float64Array;
  scores: Float64Array;
}

const SPACING_1 = 2.220446049250313e-16; // np.spacing(1)

/** COCOeval.accumulate: precision at the recall thresholds and final recall for every setting. */
export function accumulateCoco(ev: CocoEvaluation): CocoAccumulation {
  const p = ev.params;
  const T = p.iouThrs.length, R = p.recThrs.length, K = p.useCats ? ev.catIds.length : 1;
  const A = p.areaRng.length, M = p.maxDets.length, I = ev.imgIds.length;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const scores = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  for (let k = 0; k < K; k++) {
    for (let a = 0; a < A; a++) {
      const E = ev.evalImgs.slice((k * A + a) * I, (k * A + a + 1) * I).filter((e): e is EvalImg =>
        e !== null
      );
      if (E.length === 0) continue;
      let npig = 0;
      for (const e of E) for (const g of e.gtIgnore) if (g === 0) npig++;
      for (let m = 0; m < M; m++) {
        if (npig === 0) continue;
        const maxDet = p.maxDets[m];
        // concatenated (image order) first maxDet detections of every image
        let total = 0;
        for (const e of E) total += Math.min(maxDet, e.dtScores.length);
        const sc = new Float64Array(total), srcE = new Int32Array(total), srcD = new Int32Array(total);
        let w = 0;
        E.forEach((e, ei) => {
          const n = Math.min(maxDet, e.dtScores.length);
          for (let d = 0; d < n; d++, w++) {
            sc[w] = e.dtScores[d];
            srcE[w] = ei;
            srcD[w] = d;
          }
        });
        const inds = stableArgsortDescending(sc);
        const nd = inds.length;
        // per threshold and sorted detection: 1 = true positive, 2 = false positive, 0 = ignored
        const kind = new Uint8Array(T * nd);
        for (let j = 0; j < nd; j++) {
          const e = E[srcE[inds[j]]], d = srcD[inds[j]], D = e.dtScores.length;
          for (let t = 0; t < T; t++) {
            if (e.dtIgnore[t * D + d] === 0) kind[t * nd + j] = e.dtMatches[t * D + d] !== 0 ? 1 : 2;
          }
        }
        const rc = new Float64Array(nd), pr = new Float64Array(nd);
        for (let t = 0; t < T; t++) {
          let tp = 0, fp = 0;
          for (let j = 0; j < nd; j++) {
            const kd = kind[t * nd + j];
            if (kd === 1) tp++;
            else if (kd === 2) fp++;
            rc[j] = tp / npig;
            pr[j] = tp / (fp + tp + SPACING_1);
          }
          recall[((t * K + k) * A + a) * M + m] = nd ? rc[nd - 1] : 0;
          for (let j = nd - 1; j > 0; j--) if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
          for (let r = 0; r < R; r++) {
            const pi = searchsortedLeft(rc, p.recThrs[r]);
            const at = (((t * R + r) * K + k) * A + a) * M + m;
            if (pi >= nd) {
              for (let r2 = r; r2 < R; r2++) {
                const at2 = (((t * R + r2) * K + k) * A + a) * M + m;
                precision[at2] = 0;
                scores[at2] = 0;
              }
              break;
            }
            precision[at] = pr[pi];
            scores[at] = sc[inds[pi]];
          }
        }
      }
    }
  }
  return { counts: [T, R, K, A, M], precision, recall, scores };
}
