/**
 * Decoding of the raw DDetect head outputs: per-level NHWC maps [B, H, W, 4*reg_max + nc] to boxes and
 * class probabilities.
 *
 * Mirrors `DFL.forward` (`models/common.py`), `dist2bbox` (`utils/tal/anchor_generator.py`) and the eval
 * branch of `DDetect.forward` (`models/yolo.py`); reference spec §1.12, §1.13, §6.1. Box channel
 * `16*k + j` is bin j of side k, sides in the order left, top, right, bottom.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { anchorTensors, levelShapes, makeAnchors } from "./anchors.ts";

/** Number of DFL bins per box side in every official model. */
export const REG_MAX = 16;

/**
 * Flatten per-level NHWC maps [B, H_i, W_i, C] to [B, A, C]: cells row-major (y then x), levels
 * concatenated in order (P3, P4, P5), as `torch.cat([xi.view(b, no, -1) ...], 2)` in the reference.
 */
export function flattenLevels(levels: readonly tf.Tensor[]): tf.Tensor3D {
  if (levels.length === 0) throw new RangeError("Cannot flatten levels: expected at least one level, got 0");
  const [b, , , c] = levels[0].shape;
  return tf.tidy(() => {
    const flat = levels.map((t, i) => {
      if (t.rank !== 4 || t.shape[0] !== b || t.shape[3] !== c) {
        throw new RangeError(
          `Cannot flatten levels: level ${i} has shape [${t.shape}], expected [${b}, H, W, ${c}]`,
        );
      }
      const [, h, w] = t.shape as number[];
      return tf.reshape(t, [b, h * w, c]);
    });
    return (flat.length === 1 ? flat[0] : tf.concat(flat, 1)) as tf.Tensor3D;
  });
}

/** Options of {@link dflExpectation}. */
export interface DflOptions {
  /** Bins per side (16 in every official model). */
  regMax?: number;
}

/**
 * Distribution Focal Loss decoding: softmax over the `regMax` bins of each side and expectation with
 * weights 0..regMax-1 (the fixed DFL conv). Input [..., 4*regMax] side-major; output [..., 4] (l, t, r, b)
 * in grid units. Mirrors `DFL.forward` (`models/common.py`).
 */
export function dflExpectation(distri: tf.Tensor, opts: DflOptions = {}): tf.Tensor {
  const regMax = opts.regMax ?? REG_MAX;
  const last = distri.shape[distri.rank - 1];
  if (last !== 4 * regMax) {
    throw new RangeError(
      `Cannot decode DFL: expected last dimension 4*${regMax} = ${4 * regMax}, got ${last}`,
    );
  }
  return tf.tidy(() => {
    const lead = distri.shape.slice(0, -1);
    const probs = tf.softmax(tf.reshape(distri, [...lead, 4, regMax]));
    const proj = tf.range(0, regMax, 1, "float32");
    return tf.sum(tf.mul(probs, proj), -1);
  });
}

/** Options of {@link dist2bbox}. */
export interface Dist2BboxOptions {
  /** Return [cx, cy, w, h] (true, the head's eval output) or [x1, y1, x2, y2] (false, default). */
  xywh?: boolean;
}

/**
 * Distances (l, t, r, b) from anchor points to box sides -> boxes, along the last axis. `anchors` is
 * [..., 2] (x, y) broadcastable against `dist`'s leading dims. Mirrors `dist2bbox` of
 * `utils/tal/anchor_generator.py` (same operation order: centre = (x1y1 + x2y2) / 2, wh = x2y2 - x1y1).
 */
export function dist2bbox(dist: tf.Tensor, anchors: tf.Tensor, opts: Dist2BboxOptions = {}): tf.Tensor {
  if (dist.shape[dist.rank - 1] !== 4) {
    throw new RangeError(`Cannot convert distances: expected last dim 4, got [${dist.shape}]`);
  }
  if (anchors.shape[anchors.rank - 1] !== 2) {
    throw new RangeError(
      `Cannot convert distances: expected anchors with last dim 2, got [${anchors.shape}]`,
    );
  }
  return tf.tidy(() => {
    const [lt, rb] = tf.split(dist, 2, -1);
    const x1y1 = tf.sub(anchors, lt);
    const x2y2 = tf.add(anchors, rb);
    if (opts.xywh) return tf.concat([tf.div(tf.add(x1y1, x2y2), 2), tf.sub(x2y2, x1y1)], -1);
    return tf.concat([x1y1, x2y2], -1);
  });
}

/** Options of {@link decodeHead}. */
export interface DecodeHeadOptions {
  /** Stride of each level in pixels, e.g. [8, 16, 32]. */
  strides: readonly number[];
  /** Bins per side (16). */
  regMax?: number;
}

/**
 * Eval-mode output of a DDetect head from its raw per-level NHWC outputs [B, H_i, W_i, 4*regMax + nc]:
 * a [B, 4 + nc, A] tensor (the reference's layout) with rows 0..3 = cx, cy, w, h in input pixels and
 * rows 4.. = sigmoid class scores; neither clipped nor filtered. Mirrors `DDetect.forward` (eval) in
 * `models/yolo.py` and the golden README's "Decoded output".
 */
export function decodeHead(levels: readonly tf.Tensor[], opts: DecodeHeadOptions): tf.Tensor3D {
  const regMax = opts.regMax ?? REG_MAX;
  const anchors = makeAnchors(levelShapes(levels), opts.strides);
  return tf.tidy(() => {
    const flat = flattenLevels(levels);
    const [b, a, c] = flat.shape;
    if (c <= 4 * regMax) {
      throw new RangeError(`Cannot decode head: expected more than ${4 * regMax} channels, got ${c}`);
    }
    const distri = tf.slice(flat, [0, 0, 0], [b, a, 4 * regMax]);
    const logits = tf.slice(flat, [0, 0, 4 * regMax], [b, a, c - 4 * regMax]);
    const { points, strides } = anchorTensors(anchors);
    const boxes = tf.mul(dist2bbox(dflExpectation(distri, { regMax }), points, { xywh: true }), strides);
    return tf.transpose(tf.concat([boxes, tf.sigmoid(logits)], -1), [0, 2, 1]) as tf.Tensor3D;
  });
}
