/**
 * The YOLOv7 training loss, `ComputeLossOTA` of utils/loss.py (WongKinYiu/yolov7), for the raw outputs
 * of the anchor-based `IDetect` head: candidates by anchor ratio (`anchor_t`) at the target's cell and
 * two neighbours ({@link findCandidates}), the OTA dynamic-k assignment ({@link assignOta}), then per
 * level: CIoU box loss of `(2 sigmoid(xy) - 0.5, (2 sigmoid(wh))^2 anchor)` against the target (mean of
 * 1 - CIoU), objectness BCE against the detached CIoU (gr = 1) over every anchor of every cell, weighted
 * by the level balance [4, 1, 0.4], and class BCE on the positives (only when nc > 1). Total =
 * (box x hyp.box + obj x hyp.obj + cls x hyp.cls) x batch size, with the gains already scaled as
 * train.py does ({@link yolov7Gains}). Differentiable w.r.t. the predictions; the assignment is constant.
 * The assignment reads the predictions' values: synchronously inside {@link yolov7Loss} by default, or
 * beforehand with awaited reads ({@link yolov7AssignAsync}, for webgpu), passed in as `matches`. The
 * objectness target (the detached CIoU of the positives) is computed in the graph, without a read.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { gatherRows } from "../nn/gather_rows.ts";
import { bboxIou } from "./bbox_iou.ts";
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

/**
 * The hyp cls and obj values whose {@link yolov7Gains} scaling at `nc` classes and `img` px gives
 * `strength` (the gains as they act at 640 px with 80 classes), box as it is: the ablation presets'
 * YOLOv7 at 64 px (see experiments/table6.ts).
 *
 * @example
 * ```ts
 * yolov7HypFor({ cls: 0.3, obj: 0.7 }, { nc: 10, img: 64 }); // { cls: 2.4, obj: 70 }
 * ```
 */
export function yolov7HypFor(
  strength: Pick<Yolov7Gains, "cls" | "obj">,
  o: { nc: number; img: number },
): Pick<Yolov7Gains, "cls" | "obj"> {
  return { cls: strength.cls * 80 / o.nc, obj: strength.obj * (640 / o.img) ** 2 };
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
  /**
   * The OTA assignment of these predictions computed beforehand ({@link yolov7AssignAsync}); by default
   * it runs here on values read synchronously.
   */
  matches?: readonly LevelMatches[];
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

/** Prediction geometry of each level (grid, anchors in grid units), the shapes checked against `opts`. */
function levelGeometry(preds: readonly tf.Tensor[], opts: Yolov7LossOptions): LevelGeometry[] {
  const { nc, strides } = opts;
  const anchors = levelAnchors(opts, strides);
  if (preds.length !== anchors.length) throw new RangeError(`Cannot compute YOLOv7 loss: expected ${anchors.length} levels, got ${preds.length}`);
  return preds.map((p, i) => {
    const na = anchors[i].length;
    if (p.shape[3] !== na * outputsPerAnchor(nc)) throw new RangeError(`Cannot compute YOLOv7 loss: level ${i} has ${p.shape[3]} channels, expected ${na} x ${outputsPerAnchor(nc)}`);
    return { h: p.shape[1]!, w: p.shape[2]!, anchors: anchors[i].map(([w, h]) => [Math.fround(w / strides[i]), Math.fround(h / strides[i])] as [number, number]) };
  });
}

/** The OTA assignment on read prediction values (one array per level, `[B, H, W, na * no]` row-major). */
function matchValues(preds: readonly tf.Tensor[], data: readonly ArrayLike<number>[], targets: ArrayLike<number>, opts: Yolov7LossOptions): LevelMatches[] {
  const geo = levelGeometry(preds, opts);
  const no = outputsPerAnchor(opts.nc);
  const values: LevelValues[] = geo.map((g, i) => ({ data: data[i], h: g.h, w: g.w, na: g.anchors.length, no, stride: opts.strides[i] }));
  const cands = findCandidates(targets, geo, opts.anchorT ?? 4.0);
  return assignOta(targets, cands, values, { nc: opts.nc, batch: preds[0].shape[0], imgSize: geo[0].h * opts.strides[0] });
}

/**
 * `build_targets` of `ComputeLossOTA`: the matched positives of each level of `preds`, read
 * synchronously (cpu, wasm, native). {@link yolov7AssignAsync} reads with `await`.
 *
 * @example
 * ```ts
 * const matches = yolov7Assign(preds, rows, opts);
 * ```
 */
export function yolov7Assign(preds: readonly tf.Tensor[], targets: ArrayLike<number>, opts: Yolov7LossOptions): LevelMatches[] {
  return matchValues(preds, preds.map((p) => p.dataSync()), targets, opts);
}

/**
 * {@link yolov7Assign} with awaited reads (webgpu): pass the result to {@link yolov7Loss} as `matches`.
 *
 * @example
 * ```ts
 * const matches = await yolov7AssignAsync(preds, rows, opts);
 * const { total } = yolov7Loss(preds, rows, { ...opts, matches });
 * ```
 */
export async function yolov7AssignAsync(preds: readonly tf.Tensor[], targets: ArrayLike<number>, opts: Yolov7LossOptions): Promise<LevelMatches[]> {
  return matchValues(preds, await Promise.all(preds.map((p) => p.data())), targets, opts);
}

/**
 * `tobj[b, a, gj, gi] = (1 - gr) + gr x iou.detach().clamp(0)` of the reference as a dense `[size]` tensor:
 * zero except at the positives' cells `idx`, where the last positive of a cell wins (PyTorch's index
 * assignment); no gradient flows back into `iou`.
 */
function objectnessTargets(iou: tf.Tensor1D, idx: readonly number[], size: number, gr: number): tf.Tensor1D {
  const last = new Map<number, number>();
  idx.forEach((j, k) => last.set(j, k));
  const scatter = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = inputs[0] as tf.Tensor1D;
    const v = tf.maximum(tf.gather(x, tf.tensor1d([...last.values()], "int32")), 0);
    const t = gr === 1 ? v : tf.add(1 - gr, tf.mul(gr, v));
    return { value: tf.scatterND(tf.tensor2d([...last.keys()], [last.size, 1], "int32"), t, [size]), gradFunc: () => tf.zeros(x.shape) };
  });
  return scatter(iou) as tf.Tensor1D;
}

/**
 * YOLOv7 loss of raw IDetect outputs `preds` (per level NHWC `[B, H, W, na * (5 + nc)]`) against target
 * rows `[image, class, cx, cy, w, h]` (normalised to the image, which is H0 x stride0 pixels high).
 * Reads nothing when `opts.matches` is given. The caller disposes `total` and `items`.
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
  const nc = opts.nc;
  const no = outputsPerAnchor(nc);
  const geo = levelGeometry(preds, opts);
  const batch = preds[0].shape[0];
  const matches = opts.matches ?? yolov7Assign(preds, targets, opts);
  if (matches.length !== preds.length) throw new RangeError(`Cannot compute YOLOv7 loss: ${matches.length} levels of matches for ${preds.length} levels`);
  const gains = opts.gains ?? { box: 0.05, obj: 0.7, cls: 0.3 * nc / 80 };
  const balance = opts.balance ?? (preds.length === 3 ? [4.0, 1.0, 0.4] : [4.0, 1.0, 0.25, 0.06, 0.02]);
  const eps = opts.labelSmoothing ?? 0;
  const [cp, cn] = [1 - 0.5 * eps, 0.5 * eps];
  return tf.tidy(() => {
    let lbox: tf.Tensor = tf.scalar(0), lobj: tf.Tensor = tf.scalar(0), lcls: tf.Tensor = tf.scalar(0);
    preds.forEach((p, i) => {
      const m: LevelMatches = matches[i];
      const v = { ...geo[i], na: geo[i].anchors.length };
      const flat = tf.reshape(p, [-1, no]);
      const cells = batch * v.h * v.w * v.na;
      const n = m.b.length;
      let tobj: tf.Tensor1D = tf.zeros([cells]);
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
        tobj = objectnessTargets(tf.reshape(iou, [-1]), idx, cells, opts.gr ?? 1.0);
        if (nc > 1) {
          const t = new Float32Array(n * nc).fill(cn);
          for (let k = 0; k < n; k++) t[k * nc + targets[6 * m.row[k] + 1]] = cp;
          lcls = tf.add(lcls, tf.mean(bce(pcls, tf.tensor2d(t, [n, nc]), opts.clsPw ?? 1)));
        }
      }
      const pobj = tf.reshape(tf.slice(flat, [0, 4], [-1, 1]), [-1]);
      lobj = tf.add(lobj, tf.mul(tf.mean(bce(pobj, tobj, opts.objPw ?? 1)), balance[i]));
    });
    const items = tf.stack([tf.mul(lbox, gains.box), tf.mul(lobj, gains.obj), tf.mul(lcls, gains.cls)]) as tf.Tensor1D;
    const total = tf.mul(tf.sum(items), batch) as tf.Scalar;
    return { total, items, positives: matches.map((mm) => mm.b.length) };
  });
}
