/**
 * Box format conversions on the last axis of a tensor: [cx, cy, w, h] <-> [x1, y1, x2, y2], and
 * boxes -> clamped side distances from anchor points (the DFL regression targets).
 *
 * Mirrors `xywh2xyxy` / `xyxy2xywh` of `utils/general.py` and `bbox2dist` of
 * `utils/tal/anchor_generator.py` (reference spec §4.1 step 9).
 * @module
 */
import * as tf from "@tensorflow/tfjs";

function lastDim4(t: tf.Tensor, what: string): void {
  if (t.shape[t.rank - 1] !== 4) {
    throw new RangeError(`Cannot ${what}: expected last dimension 4, got shape [${t.shape}]`);
  }
}

/** [cx, cy, w, h] -> [x1, y1, x2, y2] along the last axis. Mirrors `xywh2xyxy` (`utils/general.py`). */
export function xywh2xyxy(boxes: tf.Tensor): tf.Tensor {
  lastDim4(boxes, "convert xywh to xyxy");
  return tf.tidy(() => {
    const [xy, wh] = tf.split(boxes, 2, -1);
    const half = tf.div(wh, 2);
    return tf.concat([tf.sub(xy, half), tf.add(xy, half)], -1);
  });
}

/** [x1, y1, x2, y2] -> [cx, cy, w, h] along the last axis. Mirrors `xyxy2xywh` (`utils/general.py`). */
export function xyxy2xywh(boxes: tf.Tensor): tf.Tensor {
  lastDim4(boxes, "convert xyxy to xywh");
  return tf.tidy(() => {
    const [p1, p2] = tf.split(boxes, 2, -1);
    return tf.concat([tf.div(tf.add(p1, p2), 2), tf.sub(p2, p1)], -1);
  });
}

/** Options of {@link bbox2dist}. */
export interface Bbox2DistOptions {
  /**
   * Upper clamp is `maxDist - 0.01`; the loss passes reg_max - 1 = 15 (16 bins), giving 14.99 so that the
   * right-hand bin `floor(t) + 1` exists. Default 15.
   */
  maxDist?: number;
}

/**
 * Anchor points [..., 2] and xyxy boxes [..., 4] -> distances (l, t, r, b) = (anchor - x1y1, x2y2 - anchor)
 * clamped to [0, maxDist - 0.01]. Mirrors `bbox2dist` of `utils/tal/anchor_generator.py`.
 */
export function bbox2dist(anchors: tf.Tensor, boxes: tf.Tensor, opts: Bbox2DistOptions = {}): tf.Tensor {
  lastDim4(boxes, "convert boxes to distances");
  const maxDist = opts.maxDist ?? 15;
  return tf.tidy(() => {
    const [p1, p2] = tf.split(boxes, 2, -1);
    return tf.clipByValue(tf.concat([tf.sub(anchors, p1), tf.sub(p2, anchors)], -1), 0, maxDist - 0.01);
  });
}
