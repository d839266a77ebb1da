/**
 * The YOLOv7 training loss, `ComputeLossOTA` of utils/loss.py (WongKinYiu/yolov7), for the raw outputs
 * of the anchor-based `IDetect` head: candidates by anchor ratio (`anchor_t`) at the target's cell and
 * two neighbours ({@link findCandidates}), the OTA dynamic-k assignment ({@link assignOta}), then per
 * level: CIoU box loss of `(2 sigmoid(xy) - 0.5, (2 sigmoid(wh))^2 anchor)` against the target (mean of
 * 1 - CIoU), objectness BCE against the detached CIoU (gr = 1) over every anchor of every cell, weighted
 * by the level balance [4, 1, 0.4], and class BCE on the positives (only when nc > 1). Total =
 * (box x hyp.box + obj x hyp.obj + cls x hyp.cls) x batch size, with the gains already scaled as
 * train.py does ({@link yolov7Gains}). Differentiable w.r.t. the predictions; the assignment is constant.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { gatherRows } from "../nn/gather_rows.ts";
import { bboxIou } from "./bbox_iou.ts";
import { stopGradient } from "./stop_gradient.ts";
import { findCandidates, type LevelGeometry } from "./yolov7_candidates.ts";
import { assignOta, type LevelMatches, type LevelValues } from "./yolov7_assign.ts";
import { levelAnchors, outputsPerAnchor } from "../head/idetect.ts";

/** Loss gains of `hyp.scratch.p5.yaml` after train.py's scaling. */
export interface Yolov7Gains {
  box: number;
  obj: number;
  cls: number;
}

/**
 * train.py's scaling of the hyp gains: box x 3 / nl, cls x nc / 80 x 3 / nl, obj x (img / 640)^2 x 3 / nl.
 *
 * @example
 * ```ts
 * const g = yolov7Gains({ box: 0.05, obj: 0.7, cls: 0.3 }, { nc: 80, nl: 3, img: 640 }); // unchanged
 * ```
 */
export function yolov7Gains(hyp: Yolov7Gains, o: { nc: number; nl: number; img: number }): Yolov7Gains {
  return { box: hyp.box * 3 / o.nl, cls: hyp.cls * o.nc / 80 * 3 / o.nl, obj: hyp.obj * (o.img / 640) ** 2 * 3 / o.nl };
}

/** Options of {@link yolov7Loss}. */
export interface Yolov7LossOptions {
  nc: number;
  /** Stride of each level in pixels. */
  strides: readonly number[];
  /** The head's anchor rows in pixels (per level `[w0, h0, w1, h1, ...]`). */
  anchors: number[][];
  /** Scaled gains (default: hyp.scratch.p5 at 640 with 3 levels and 80 classes: 0.05, 0.7, 0.3 x nc / 80). */
  gains?: Yolov7Gains;
  /** Anchor-multiple threshold (`anchor_t`, 4.0). */
  anchorT?: number;
  /** BCE positive weights (`cls_pw`, `obj_pw`, 1.0). */
  clsPw?: number;
  objPw?: number;
  /** Label smoothing eps (0): class targets 1 - eps / 2 and eps / 2. */
  labelSmoothing?: number;
  /** IoU ratio of the objectness target (`model.gr`, 1.0 in train.py): tobj = (1 - gr) + gr x CIoU (detached). */
  gr?: number;
  /** Objectness balance per level (default [4, 1, 0.4] for 3 levels, else [4, 1, 0.25, 0.06, 0.02]). */
  balance?: readonly number[];
}

/** Result of {@link yolov7Loss}. */
export interface Yolov7LossResult {
  /** (box + obj + cls) x batch size: the value to differentiate. */
  total: tf.Scalar;
  /** [box, obj, cls] after gains, not multiplied by the batch size. */
  items: tf.Tensor1D;
  /** Matched positives per level. */
  positives: number[];
}

/** BCE with logits and a positive weight, elementwise (`nn.BCEWithLogitsLoss(pos_weight)` before the mean). */
function bce(x: tf.Tensor, t: tf.Tensor, pw: number): tf.Tensor {
  const softplusNeg = tf.add(tf.relu(tf.neg(x)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
  const w = pw === 1 ? softplusNeg : tf.mul(tf.add(1, tf.mul(pw - 1, t)), softplusNeg);
  return tf.add(tf.mul(tf.sub(1, t), x), w);
}

const xyxyOf = (b: tf.Tensor) => {
  const [x, y, w, h] = tf.split(b, 4, -1);
  const [hw, hh] = [tf.div(w, 2), tf.div(h, 2)];
  return tf.concat([tf.sub(x, hw), tf.sub(y, hh), tf.add(x, hw), tf.add(y, hh)], -1);
};

/**
 * YOLOv7 loss of raw IDetect outputs `preds` (per level NHWC `[B, H, W, na * (5 + nc)]`) against target
 * rows `[image, class, cx, cy, w, h]` (normalised to the image, which is H0 x stride0 pixels high).
 * The caller disposes `total` and `items`.
 *
 * @example
 * ```ts
 * const { value, grads } = tf.valueAndGrads((...p: tf.Tensor[]) => yolov7Loss(p, rows, opts).total)(preds);
 * ```
 */
export function yolov7Loss(
  preds: readonly tf.Tensor[],
  targets: ArrayLike<number>,
  opts: Yolov7LossOptions,
): Yolov7LossResult {
  const { nc, strides } = opts;
  const no = outputsPerAnchor(nc);
  const anchors = levelAnchors(opts, strides);
  if (preds.length !== anchors.length) throw new RangeError(`Cannot compute YOLOv7 loss: expected ${anchors.length} levels, got ${preds.length}`);
  const batch = preds[0].shape[0];
  const geo: LevelGeometry[] = preds.map((p, i) => ({
    h: p.shape[1]!, w: p.shape[2]!, anchors: anchors[i].map(([w, h]) => [Math.fround(w / strides[i]), Math.fround(h / strides[i])] as [number, number]),
  }));
  const values: LevelValues[] = preds.map((p, i) => ({ data: p.dataSync(), h: geo[i].h, w: geo[i].w, na: geo[i].anchors.length, no, stride: strides[i] }));
  values.forEach((v, i) => {
    if (preds[i].shape[3] !== v.na * no) throw new RangeError(`Cannot compute YOLOv7 loss: level ${i} has ${preds[i].shape[3]} channels, expected ${v.na} x ${no}`);
  });
  const cands = findCandidates(targets, geo, opts.anchorT ?? 4.0);
  const matches = assignOta(targets, cands, values, { nc, batch, imgSize: geo[0].h * strides[0] });
  const gains = opts.gains ?? { box: 0.05, obj: 0.7, cls: 0.3 * nc / 80 };
  const balance = opts.balance ?? (preds.length === 3 ? [4.0, 1.0, 0.4] : [4.0, 1.0, 0.25, 0.06, 0.02]);
  const eps = opts.labelSmoothing ?? 0;
  const [cp, cn] = [1 - 0.5 * eps, 0.5 * eps];
  return tf.tidy(() => {
    let lbox: tf.Tensor = tf.scalar(0), lobj: tf.Tensor = tf.scalar(0), lcls: tf.Tensor = tf.scalar(0);
    preds.forEach((p, i) => {
      const m: LevelMatches = matches[i];
      const v = values[i];
      const flat = tf.reshape(p, [-1, no]);
      const n = m.b.length;
      const tobj = new Float32Array(batch * v.h * v.w * v.na);
      if (n) {
        const idx = Array.from(m.b, (b, k) => ((b * v.h + m.gj[k]) * v.w + m.gi[k]) * v.na + m.a[k]);
        const ps = gatherRows(flat as tf.Tensor2D, idx);
        const [pxy, pwh, , pcls] = tf.split(ps, [2, 2, 1, nc], 1);
        const xy = tf.sub(tf.mul(tf.sigmoid(pxy), 2), 0.5);
        const wh = tf.mul(tf.square(tf.mul(tf.sigmoid(pwh), 2)), tf.tensor2d(m.anchor, [n, 2]));
        const tbox = new Float32Array(4 * n);
        for (let k = 0; k < n; k++) {
          const r = m.row[k];
          tbox.set([
            Math.fround(Math.fround(targets[6 * r + 2] * v.w) - m.gi[k]), Math.fround(Math.fround(targets[6 * r + 3] * v.h) - m.gj[k]),
            Math.fround(targets[6 * r + 4] * v.w), Math.fround(targets[6 * r + 5] * v.h),
          ], 4 * k);
        }
        const iou = bboxIou(xyxyOf(tf.concat([xy, wh], 1)), xyxyOf(tf.tensor2d(tbox, [n, 4])), { kind: "ciou" });
        lbox = tf.add(lbox, tf.mean(tf.sub(1, iou)));
        const iouVals = stopGradient(iou).dataSync();
        const gr = opts.gr ?? 1.0;
        idx.forEach((j, k) => (tobj[j] = (1 - gr) + gr * Math.max(iouVals[k], 0)));
        if (nc > 1) {
          const t = new Float32Array(n * nc).fill(cn);
          for (let k = 0; k < n; k++) t[k * nc + targets[6 * m.row[k] + 1]] = cp;
          lcls = tf.add(lcls, tf.mean(bce(pcls, tf.tensor2d(t, [n, nc]), opts.clsPw ?? 1)));
        }
      }
      const pobj = tf.reshape(tf.slice(flat, [0, 4], [-1, 1]), [-1]);
      lobj = tf.add(lobj, tf.mul(tf.mean(bce(pobj, tf.tensor1d(tobj), opts.objPw ?? 1)), balance[i]));
    });
    const items = tf.stack([tf.mul(lbox, gains.box), tf.mul(lobj, gains.obj), tf.mul(lcls, gains.cls)]) as tf.Tensor1D;
    const total = tf.mul(tf.sum(items), batch) as tf.Scalar;
    return { total, items, positives: matches.map((mm) => mm.b.length) };
  });
}
