/**
 * Ground-truth rows [image_index, class, cx, cy, w, h] (box normalised to [0, 1]) -> per-image padded
 * tensors in pixels, xyxy, with a validity mask.
 *
 * Mirrors `ComputeLoss.preprocess` of `utils/loss_tal.py` (and the `mask_gt = gt_bboxes.sum(2) > 0` line
 * of `__call__`), reference spec §4.1 step 3: rows keep their order within an image; n_max is the
 * largest number of rows of one image (0 when there are no rows). Arithmetic is rounded to float32 at
 * each step like the reference, so that the assigner's "strictly inside" test sees the same borders.
 * @module
 */

/** Padded ground truth of a batch, row-major flat arrays. */
export interface PaddedTargets {
  /** Batch size bs. */
  batch: number;
  /** Rows per image after padding. */
  nMax: number;
  /** (bs, n_max) class ids; padding 0. */
  gtLabels: Float32Array;
  /** (bs, n_max, 4) xyxy pixels; padding 0. */
  gtBboxes: Float32Array;
  /** (bs, n_max) 1 where the box's coordinate sum is > 0, else 0. */
  maskGt: Float32Array;
}

/** Options of {@link preprocessTargets}. */
export interface PreprocessTargetsOptions {
  /** Batch size bs (images without rows still count). */
  batch: number;
  /** Image size [height, width] in pixels that the normalised boxes refer to. */
  imgSize: readonly [number, number];
}

/**
 * Pad and scale target rows (n rows of 6 values, flat) for the assigner. Mirrors
 * `ComputeLoss.preprocess` of `utils/loss_tal.py`.
 */
export function preprocessTargets(rows: ArrayLike<number>, opts: PreprocessTargetsOptions): PaddedTargets {
  const { batch, imgSize: [h, w] } = opts;
  if (rows.length % 6 !== 0) {
    throw new RangeError(
      `Cannot preprocess targets: expected rows of 6 values [img, cls, cx, cy, w, h], got ${rows.length} values`,
    );
  }
  const n = rows.length / 6;
  const counts = new Int32Array(batch);
  for (let r = 0; r < n; r++) {
    const img = rows[6 * r];
    if (!(Number.isInteger(img) && img >= 0 && img < batch)) {
      throw new RangeError(
        `Cannot preprocess targets: row ${r} has image index ${img}, expected an integer in [0, ${batch})`,
      );
    }
    counts[img]++;
  }
  const nMax = n === 0 ? 0 : Math.max(...counts);
  const out: PaddedTargets = {
    batch,
    nMax,
    gtLabels: new Float32Array(batch * nMax),
    gtBboxes: new Float32Array(batch * nMax * 4),
    maskGt: new Float32Array(batch * nMax),
  };
  const f = Math.fround;
  const fill = new Int32Array(batch);
  for (let r = 0; r < n; r++) {
    const img = rows[6 * r];
    const slot = img * nMax + fill[img]++;
    const [cx, cy, bw, bh] = [
      f(rows[6 * r + 2] * w),
      f(rows[6 * r + 3] * h),
      f(rows[6 * r + 4] * w),
      f(rows[6 * r + 5] * h),
    ];
    const box = [f(cx - f(bw / 2)), f(cy - f(bh / 2)), f(cx + f(bw / 2)), f(cy + f(bh / 2))];
    out.gtLabels[slot] = rows[6 * r + 1];
    out.gtBboxes.set(box, 4 * slot);
  }
  for (let s = 0; s < batch * nMax; s++) {
    const b = out.gtBboxes.subarray(4 * s, 4 * s + 4);
    out.maskGt[s] = f(f(f(b[0] + b[1]) + b[2]) + b[3]) > 0 ? 1 : 0;
  }
  return out;
}
