/**
 * IoU and its GIoU / DIoU / CIoU variants, with the reference's eps placement.
 *
 * Mirrors `bbox_iou` of `utils/metrics.py` (reference spec §4.1 "CIoU as implemented"): eps = 1e-7;
 * for xyxy input the heights get `+ eps` (widths do not); union `+ eps`; enclosing diagonal `+ eps`;
 * CIoU's alpha = v / (v - iou + (1 + eps)) is computed **without gradient**.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { stopGradient } from "./stop_gradient.ts";

/** Which overlap measure {@link bboxIou} returns. */
export type IouKind = "iou" | "giou" | "diou" | "ciou";

/** Options of {@link bboxIou} and {@link bboxIouPlain}. */
export interface BboxIouOptions {
  /** Overlap measure, default "iou". */
  kind?: IouKind;
  /** Boxes given as [cx, cy, w, h] (true) or [x1, y1, x2, y2] (false, default). */
  xywh?: boolean;
  /** The reference's eps, 1e-7. */
  eps?: number;
}

/**
 * Overlap of `box1` and `box2` ([..., 4] each, broadcast against each other on the leading dims).
 * Returns the broadcast leading shape (the last axis is dropped). Differentiable (CIoU's alpha is a
 * constant for the gradient, as in the reference). Mirrors `bbox_iou` of `utils/metrics.py`.
 */
export function bboxIou(box1: tf.Tensor, box2: tf.Tensor, opts: BboxIouOptions = {}): tf.Tensor {
  const { kind = "iou", xywh = false, eps = 1e-7 } = opts;
  for (const [name, b] of [["box1", box1], ["box2", box2]] as const) {
    if (b.shape[b.rank - 1] !== 4) {
      throw new RangeError(`Cannot compute IoU: ${name} must end in 4, got [${b.shape}]`);
    }
  }
  return tf.tidy(() => {
    let ax1: tf.Tensor, ay1: tf.Tensor, ax2: tf.Tensor, ay2: tf.Tensor, w1: tf.Tensor, h1: tf.Tensor;
    let bx1: tf.Tensor, by1: tf.Tensor, bx2: tf.Tensor, by2: tf.Tensor, w2: tf.Tensor, h2: tf.Tensor;
    if (xywh) {
      let cx1: tf.Tensor, cy1: tf.Tensor, cx2: tf.Tensor, cy2: tf.Tensor;
      [cx1, cy1, w1, h1] = tf.split(box1, 4, -1);
      [cx2, cy2, w2, h2] = tf.split(box2, 4, -1);
      const [hw1, hh1, hw2, hh2] = [tf.div(w1, 2), tf.div(h1, 2), tf.div(w2, 2), tf.div(h2, 2)];
      [ax1, ax2, ay1, ay2] = [tf.sub(cx1, hw1), tf.add(cx1, hw1), tf.sub(cy1, hh1), tf.add(cy1, hh1)];
      [bx1, bx2, by1, by2] = [tf.sub(cx2, hw2), tf.add(cx2, hw2), tf.sub(cy2, hh2), tf.add(cy2, hh2)];
    } else {
      [ax1, ay1, ax2, ay2] = tf.split(box1, 4, -1);
      [bx1, by1, bx2, by2] = tf.split(box2, 4, -1);
      [w1, h1] = [tf.sub(ax2, ax1), tf.add(tf.sub(ay2, ay1), eps)];
      [w2, h2] = [tf.sub(bx2, bx1), tf.add(tf.sub(by2, by1), eps)];
    }
    // tf.maximum(x, 0) has gradient 1 at x == 0, like torch's clamp(min=0).
    const iw = tf.maximum(tf.sub(tf.minimum(ax2, bx2), tf.maximum(ax1, bx1)), 0);
    const ih = tf.maximum(tf.sub(tf.minimum(ay2, by2), tf.maximum(ay1, by1)), 0);
    const inter = tf.mul(iw, ih);
    const union = tf.add(tf.sub(tf.add(tf.mul(w1, h1), tf.mul(w2, h2)), inter), eps);
    const iou = tf.div(inter, union);
    let out = iou;
    if (kind !== "iou") {
      const cw = tf.sub(tf.maximum(ax2, bx2), tf.minimum(ax1, bx1));
      const ch = tf.sub(tf.maximum(ay2, by2), tf.minimum(ay1, by1));
      if (kind === "giou") {
        const cArea = tf.add(tf.mul(cw, ch), eps);
        out = tf.sub(iou, tf.div(tf.sub(cArea, union), cArea));
      } else {
        const c2 = tf.add(tf.add(tf.square(cw), tf.square(ch)), eps);
        const dx = tf.sub(tf.sub(tf.add(bx1, bx2), ax1), ax2);
        const dy = tf.sub(tf.sub(tf.add(by1, by2), ay1), ay2);
        const rho2 = tf.div(tf.add(tf.square(dx), tf.square(dy)), 4);
        if (kind === "diou") {
          out = tf.sub(iou, tf.div(rho2, c2));
        } else {
          const v = tf.mul(
            4 / Math.PI ** 2,
            tf.square(tf.sub(tf.atan(tf.div(w2, h2)), tf.atan(tf.div(w1, h1)))),
          );
          const alpha = stopGradient(tf.div(v, tf.add(tf.sub(v, iou), 1 + eps)));
          out = tf.sub(iou, tf.add(tf.div(rho2, c2), tf.mul(v, alpha)));
        }
      }
    }
    return tf.squeeze(out, [out.rank - 1]);
  });
}

/**
 * The same measure as {@link bboxIou} for two single boxes given as plain numbers (4 values each, read
 * from `offset1` / `offset2`), computed in float64. Used where no gradient is needed (the assigner).
 */
export function bboxIouPlain(
  box1: ArrayLike<number>,
  box2: ArrayLike<number>,
  opts: BboxIouOptions & { offset1?: number; offset2?: number } = {},
): number {
  const { kind = "iou", xywh = false, eps = 1e-7, offset1: o1 = 0, offset2: o2 = 0 } = opts;
  let ax1: number, ay1: number, ax2: number, ay2: number, w1: number, h1: number;
  let bx1: number, by1: number, bx2: number, by2: number, w2: number, h2: number;
  if (xywh) {
    [w1, h1, w2, h2] = [box1[o1 + 2], box1[o1 + 3], box2[o2 + 2], box2[o2 + 3]];
    [ax1, ax2, ay1, ay2] = [
      box1[o1] - w1 / 2,
      box1[o1] + w1 / 2,
      box1[o1 + 1] - h1 / 2,
      box1[o1 + 1] + h1 / 2,
    ];
    [bx1, bx2, by1, by2] = [
      box2[o2] - w2 / 2,
      box2[o2] + w2 / 2,
      box2[o2 + 1] - h2 / 2,
      box2[o2 + 1] + h2 / 2,
    ];
  } else {
    [ax1, ay1, ax2, ay2] = [box1[o1], box1[o1 + 1], box1[o1 + 2], box1[o1 + 3]];
    [bx1, by1, bx2, by2] = [box2[o2], box2[o2 + 1], box2[o2 + 2], box2[o2 + 3]];
    [w1, h1, w2, h2] = [ax2 - ax1, ay2 - ay1 + eps, bx2 - bx1, by2 - by1 + eps];
  }
  const inter = Math.max(Math.min(ax2, bx2) - Math.max(ax1, bx1), 0) *
    Math.max(Math.min(ay2, by2) - Math.max(ay1, by1), 0);
  const union = w1 * h1 + w2 * h2 - inter + eps;
  const iou = inter / union;
  if (kind === "iou") return iou;
  const cw = Math.max(ax2, bx2) - Math.min(ax1, bx1);
  const ch = Math.max(ay2, by2) - Math.min(ay1, by1);
  if (kind === "giou") {
    const cArea = cw * ch + eps;
    return iou - (cArea - union) / cArea;
  }
  const c2 = cw * cw + ch * ch + eps;
  const dx = bx1 + bx2 - ax1 - ax2;
  const dy = by1 + by2 - ay1 - ay2;
  const rho2 = (dx * dx + dy * dy) / 4;
  if (kind === "diou") return iou - rho2 / c2;
  const dAtan = Math.atan(w2 / h2) - Math.atan(w1 / h1);
  const v = (4 / Math.PI ** 2) * dAtan * dAtan;
  const alpha = v / (v - iou + (1 + eps));
  return iou - (rho2 / c2 + v * alpha);
}
