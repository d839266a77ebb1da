/**
 * Eval-mode decoding of the YOLOv7 `IDetect` head (models/yolo.py `IDetect.forward`, not training):
 * `y = sigmoid(raw)`, centre `(2 y_xy - 0.5 + cell) * stride`, size `(2 y_wh)^2 * anchor` (pixels),
 * then, as YOLOv7's `non_max_suppression` scores them, class confidence = objectness x class score
 * (objectness alone when nc = 1). Output in the project's `(B, 4 + nc, A)` layout; A runs over levels
 * (P3, P4, P5), inside a level over anchors, then cells row-major (the official `view(bs, -1, no)`).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { levelAnchors, outputsPerAnchor } from "./idetect.ts";

/** Options of {@link decodeIDetect}. */
export interface DecodeIDetectOptions {
  nc: number;
  /** Stride of each level in pixels. */
  strides: readonly number[];
  /** The head's anchor rows in pixels (per level `[w0, h0, w1, h1, ...]`). */
  anchors: number[][];
}

/** Raw per-level outputs `[B, H, W, na * (5 + nc)]` -> `[B, na, H, W, 5 + nc]` (the official layout, NHWC cells). */
export function anchorMajor(x: tf.Tensor, na: number, no: number): tf.Tensor5D {
  const [b, h, w, c] = x.shape;
  if (c !== na * no) throw new RangeError(`Cannot read IDetect output: expected ${na} x ${no} = ${na * no} channels, got ${c}`);
  return tf.transpose(tf.reshape(x, [b, h, w, na, no]), [0, 3, 1, 2, 4]) as tf.Tensor5D;
}

/** Cell offsets `[1, 1, H, W, 2]` (x, y) of one level. */
export function gridOf(h: number, w: number): tf.Tensor5D {
  const g = new Float32Array(h * w * 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) g.set([x, y], 2 * (y * w + x));
  }
  return tf.tensor5d(g, [1, 1, h, w, 2]);
}

/**
 * Decode IDetect's raw outputs to `(B, 4 + nc, A)`: rows 0..3 = cx, cy, w, h in input pixels, rows 4.. =
 * objectness x class probability. Neither clipped nor filtered.
 *
 * @example
 * ```ts
 * const raw = [tf.zeros([1, 8, 8, 3 * 85]), tf.zeros([1, 4, 4, 3 * 85]), tf.zeros([1, 2, 2, 3 * 85])];
 * const anchors = [[12, 16, 19, 36, 40, 28], [36, 75, 76, 55, 72, 146], [142, 110, 192, 243, 459, 401]];
 * const y = decodeIDetect(raw, { nc: 80, strides: [8, 16, 32], anchors }); // [1, 84, 252]
 * ```
 */
export function decodeIDetect(levels: readonly tf.Tensor[], opts: DecodeIDetectOptions): tf.Tensor3D {
  const no = outputsPerAnchor(opts.nc);
  const anchors = levelAnchors(opts, opts.strides);
  if (levels.length !== anchors.length) {
    throw new RangeError(`Cannot decode IDetect: expected ${anchors.length} levels, got ${levels.length}`);
  }
  return tf.tidy(() => {
    const flat = levels.map((x, i) => {
      const na = anchors[i].length;
      const [b, h, w] = x.shape;
      const y = tf.sigmoid(anchorMajor(x, na, no));
      const [xy, wh, obj, cls] = tf.split(y, [2, 2, 1, opts.nc], -1);
      const s = opts.strides[i];
      const centre = tf.mul(tf.add(tf.sub(tf.mul(xy, 2), 0.5), gridOf(h, w)), s);
      const grid = tf.tensor5d(anchors[i].flat(), [1, na, 1, 1, 2]);
      const size = tf.mul(tf.square(tf.mul(wh, 2)), grid);
      const conf = opts.nc === 1 ? obj : tf.mul(cls, obj);
      return tf.reshape(tf.concat([centre, size, conf], -1), [b, na * h * w, 4 + opts.nc]);
    });
    const all = flat.length === 1 ? flat[0] : tf.concat(flat, 1);
    return tf.transpose(all, [0, 2, 1]) as tf.Tensor3D;
  });
}
