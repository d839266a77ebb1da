/**
 * Anchor points of an anchor-free detection head: one point per feature-map cell, at the cell centre.
 *
 * Mirrors `make_anchors(feats, strides, 0.5)` of the official `utils/tal/anchor_generator.py`
 * (paper Sec. 6 / reference spec §6.1): per level, centres `(x + 0.5, y + 0.5)` in grid units, levels
 * in order P3, P4, P5 (level-major), cells row-major (y, then x), one stride per anchor.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Anchor points of all levels, as plain arrays. */
export interface Anchors {
  /** (A, 2) row-major [x, y] centres in **grid units** of their level. */
  points: Float32Array;
  /** (A) stride (pixels per grid cell) of each anchor's level. */
  strides: Float32Array;
  /** Total number of anchors A = sum of H*W over levels. */
  count: number;
}

/** Options of {@link makeAnchors}. */
export interface MakeAnchorsOptions {
  /** Offset of the point inside its cell, 0.5 = centre (the reference's `grid_cell_offset`). */
  offset?: number;
}

/**
 * Anchor centres for feature maps of sizes `shapes` ([H, W] per level) and `strides` (one per level).
 * Mirrors `make_anchors` of `utils/tal/anchor_generator.py`.
 *
 * @example
 * ```ts
 * const a = makeAnchors([[8, 8], [4, 4], [2, 2]], [8, 16, 32]); // a.count === 84
 * ```
 */
export function makeAnchors(
  shapes: ReadonlyArray<readonly [number, number]>,
  strides: readonly number[],
  opts: MakeAnchorsOptions = {},
): Anchors {
  if (shapes.length !== strides.length) {
    throw new RangeError(
      `Cannot make anchors: expected one stride per level (${shapes.length}), got ${strides.length}`,
    );
  }
  const offset = opts.offset ?? 0.5;
  const count = shapes.reduce((n, [h, w]) => n + h * w, 0);
  const points = new Float32Array(count * 2);
  const strideOf = new Float32Array(count);
  let a = 0;
  shapes.forEach(([h, w], level) => {
    if (!(Number.isInteger(h) && Number.isInteger(w) && h >= 0 && w >= 0)) {
      throw new RangeError(
        `Cannot make anchors: level ${level} size must be non-negative integers, got [${h}, ${w}]`,
      );
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++, a++) {
        points[2 * a] = x + offset;
        points[2 * a + 1] = y + offset;
        strideOf[a] = strides[level];
      }
    }
  });
  return { points, strides: strideOf, count };
}

/** The [H, W] of every NHWC level tensor ([B, H, W, C]). */
export function levelShapes(levels: readonly tf.Tensor[]): [number, number][] {
  return levels.map((t, i) => {
    if (t.rank !== 4) {
      throw new RangeError(`Cannot read level ${i}: expected an NHWC rank-4 tensor, got shape [${t.shape}]`);
    }
    return [t.shape[1], t.shape[2]] as [number, number];
  });
}

/**
 * Anchors as tensors: `points` (A, 2) in grid units and `strides` (A, 1); the caller disposes them.
 * Mirrors the two return values of `make_anchors`.
 */
export function anchorTensors(anchors: Anchors): { points: tf.Tensor2D; strides: tf.Tensor2D } {
  return {
    points: tf.tensor2d(anchors.points, [anchors.count, 2]),
    strides: tf.tensor2d(anchors.strides, [anchors.count, 1]),
  };
}
