/**
 * The validation pass of `val.py` / `val_dual.py` (`run`), as the training loop and `deno task val`
 * use it: eval-mode forward (dual/triple models are scored on their main branch), NMS (conf 0.001,
 * IoU 0.7, multi-label, 300 per image), predictions and labels scaled back to the original images,
 * `process_batch` / `ap_per_class` metrics (P, R, mAP50, mAP50-95 overall and per class), the
 * confusion matrix, COCO-format predictions and, unlike val_dual.py (which leaves them at 0), the
 * validation losses on the raw eval-mode outputs. Returns data only.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tree } from "../nn/tree.ts";
import type { Batch, Dataset, Hyp, LoaderOptions } from "../data/types.ts";
import { decodeOutputs, forwardModel } from "../models/model.ts";
import type { Precision } from "../backend/port.ts";
import { assignObjective, objectiveLoss } from "../models/objective.ts";
import type { ModelSpec } from "../graph/spec.ts";
import { nonMaxSuppression } from "../eval/nms.ts";
import { processBatch, valIouThresholds } from "../eval/match.ts";
import { type ApPerClassResult, apPerClass, summarizeApPerClass } from "../eval/metrics.ts";
import { type ConfusionMatrix, createConfusionMatrix, updateConfusionMatrix } from "../eval/confusion_matrix.ts";
import { type CocoPrediction, cocoImageIds, cocoPredictions, type GtImage } from "./coco_export.ts";

/** A batch loader (`createLoader` of lib/data). */
export type LoaderFn = (ds: Dataset, opts: LoaderOptions) => AsyncIterable<Batch>;

/** Options of {@link validate} (val.py defaults). */
export interface ValidateOptions {
  loader: LoaderFn;
  batch: number;
  img: number;
  hyp: Hyp;
  conf?: number;
  iou?: number;
  maxDet?: number;
  /** Compute the validation losses (default true). */
  losses?: boolean;
  /** Class names (default: the dataset's). */
  names?: string[];
  /** Called after each batch with (done, total) batches. */
  onBatch?: (done: number, total: number) => void;
  /** Receives the loader's warnings (an image that cannot be decoded is left out). */
  onWarning?: LoaderOptions["onWarning"];
  /** Arithmetic of the fused convolutions (fused weights only; see `ForwardOptions.precision`). */
  precision?: Precision;
}

/** Per-class row of the validation table. */
export interface ClassMetrics {
  cls: number;
  name: string;
  images: number;
  instances: number;
  p: number;
  r: number;
  ap50: number;
  ap: number;
}

/** Everything a validation pass produces. */
export interface ValResult {
  /** Mean precision, recall, mAP@0.5, mAP@0.5:0.95 (the four results of val.py). */
  mp: number;
  mr: number;
  map50: number;
  map: number;
  /** Mean per batch of [box, cls, dfl] (zeros with `losses: false`). */
  loss: [number, number, number];
  images: number;
  instances: number;
  /** Classes that have labels, in class order. */
  perClass: ClassMetrics[];
  /** Curves for the PR / F1 plots (null when nothing was detected correctly). */
  curves: ApPerClassResult | null;
  confusion: ConfusionMatrix;
  predictions: CocoPrediction[];
  /** The images with ids, original sizes and labels, for a COCO ground truth. */
  gt: GtImage[];
  /** Milliseconds per image: pre-processing (loading), inference, NMS. */
  speed: { pre: number; inference: number; nms: number };
}

/**
 * `scale_boxes` with the loader's `ratio_pad` (in place): xyxy boxes at offset 0..3 of every `stride`
 * values go from batch pixels to original pixels (`(v - pad) / ratio`), clipped to the original image.
 */
export function scaleBoxesToOriginal(rows: Float32Array, stride: number, shape: Batch["shapes"][number]): void {
  const [h0, w0] = shape.orig;
  for (let i = 0; i + 4 <= rows.length; i += stride) {
    for (let k = 0; k < 4; k++) {
      const isX = k % 2 === 0;
      const v = (rows[i + k] - (isX ? shape.pad[0] : shape.pad[1])) / shape.ratio;
      rows[i + k] = Math.min(Math.max(v, 0), isX ? w0 : h0);
    }
  }
}

/** Labels of image `si` of a batch as [cls, x1, y1, x2, y2] in batch pixels. */
function batchLabels(targets: Float32Array, si: number, w: number, h: number): Float32Array {
  const out: number[] = [];
  for (let i = 0; i + 6 <= targets.length; i += 6) {
    if (targets[i] !== si) continue;
    const [cx, cy, bw, bh] = [targets[i + 2] * w, targets[i + 3] * h, targets[i + 4] * w, targets[i + 5] * h];
    out.push(targets[i + 1], cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2);
  }
  return Float32Array.from(out);
}

/**
 * Validate a model on a dataset split (val.py `run` with a model and dataloader). `weights` are used in
 * eval mode (BatchNorm running statistics) and are not modified.
 */
export async function validate(
  spec: ModelSpec,
  weights: Tree<tf.Tensor>,
  dataset: Dataset,
  opts: ValidateOptions,
): Promise<ValResult> {
  const names = opts.names ?? dataset.names;
  const stride = Math.max(...spec.strides, 32);
  const index = new Map(dataset.paths.map((p, i) => [p, i]));
  const ids = cocoImageIds(dataset.paths);
  const iouv = valIouThresholds();
  const confusion = createConfusionMatrix(spec.nc);
  const tps: Uint8Array[] = [], confs: number[] = [], pcls: number[] = [], tcls: number[] = [];
  const predictions: CocoPrediction[] = [];
  const gt: GtImage[] = [];
  const loss = [0, 0, 0];
  const times = { pre: 0, inference: 0, nms: 0 };
  let nBatches = 0, seen = 0;
  const total = Math.ceil(dataset.length / opts.batch);
  const loaderOpts: LoaderOptions = {
    batch: opts.batch, img: opts.img, stride, augment: false, hyp: opts.hyp, seed: 0, epoch: 0, shuffle: false,
    onWarning: opts.onWarning,
  };
  let t0 = performance.now();
  for await (const batch of opts.loader(dataset, loaderOpts)) {
    const t1 = performance.now();
    const [, h, w] = batch.images.shape;
    const heads = tf.tidy(() => forwardModel(spec, weights, batch.images, { precision: opts.precision }).heads);
    // Values are read with await (the assignment too): no synchronous read stalls or breaks a GPU backend.
    const losses = opts.losses ?? true;
    const pre = losses ? await assignObjective(spec, heads, batch.targets, { hyp: opts.hyp, img: opts.img }) : {};
    const [pred, items] = tf.tidy((): tf.Tensor[] => {
      const pred = decodeOutputs(spec, heads[heads.length - 1]);
      if (!losses) return [pred];
      return [pred, objectiveLoss(spec, heads, batch.targets, { hyp: opts.hyp, img: opts.img, ...pre }).items];
    });
    tf.dispose(heads);
    const [predValues, itemValues] = await Promise.all([pred.data(), items?.data()]);
    const predData = { data: predValues, shape: pred.shape };
    itemValues?.forEach((v: number, k: number) => (loss[k] += v));
    tf.dispose([pred, ...(items ? [items] : []), batch.images]);
    const t2 = performance.now();
    const dets = nonMaxSuppression(predData, {
      confThres: opts.conf ?? 0.001, iouThres: opts.iou ?? 0.7, multiLabel: true, maxDet: opts.maxDet ?? 300,
    });
    const t3 = performance.now();
    dets.forEach((det, si) => {
      seen++;
      const shape = batch.shapes[si];
      const labels = batchLabels(batch.targets, si, w, h);
      scaleBoxesToOriginal(labels.subarray(1), 5, shape);
      const labelCls = Array.from({ length: labels.length / 5 }, (_, k) => labels[5 * k]);
      const di = index.get(batch.paths[si]);
      const id = di === undefined ? batch.paths[si] : ids[di];
      gt.push({
        id, width: shape.orig[1], height: shape.orig[0],
        labels: di === undefined ? new Float32Array() : dataset.labels(di),
      });
      if (det.n === 0) {
        if (labelCls.length) {
          tps.push(new Uint8Array(0));
          tcls.push(...labelCls);
          updateConfusionMatrix(confusion, null, labels);
        }
        return;
      }
      const rows = det.rows.slice();
      scaleBoxesToOriginal(rows, 6, shape);
      const correct = labelCls.length ? processBatch(rows, labels, iouv) : new Uint8Array(det.n * iouv.length);
      if (labelCls.length) updateConfusionMatrix(confusion, rows, labels);
      tps.push(correct);
      for (let k = 0; k < det.n; k++) {
        confs.push(rows[6 * k + 4]);
        pcls.push(rows[6 * k + 5]);
      }
      tcls.push(...labelCls);
      predictions.push(...cocoPredictions(id, rows));
    });
    times.pre += t1 - t0;
    times.inference += t2 - t1;
    times.nms += t3 - t2;
    nBatches++;
    opts.onBatch?.(nBatches, total);
    t0 = performance.now();
  }
  const tp = new Uint8Array(tps.reduce((s, a) => s + a.length, 0));
  tps.reduce((off, a) => (tp.set(a, off), off + a.length), 0);
  let mp = 0, mr = 0, map50 = 0, map = 0;
  let curves: ApPerClassResult | null = null;
  const perClass: ClassMetrics[] = [];
  if (tp.some((v) => v)) {
    curves = apPerClass(tp, confs, pcls, tcls);
    const s = summarizeApPerClass(curves);
    ({ mp, mr, map50, map } = s);
    curves.classes.forEach((c, i) =>
      perClass.push({
        cls: c, name: names[c] ?? String(c), images: seen, instances: curves!.nt[i],
        p: curves!.p[i], r: curves!.r[i], ap50: s.ap50[i], ap: s.apMean[i],
      })
    );
  }
  const per = (ms: number) => (seen ? ms / seen : 0);
  return {
    mp, mr, map50, map,
    loss: loss.map((v) => (nBatches ? v / nBatches : 0)) as [number, number, number],
    images: seen,
    instances: tcls.length,
    perClass,
    curves,
    confusion,
    predictions,
    gt,
    speed: { pre: per(times.pre), inference: per(times.inference), nms: per(times.nms) },
  };
}
