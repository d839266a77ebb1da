/**
 * The in-memory image of the data pipeline: RGB, row-major HWC, uint8 (as in {@link Sample}), plus the
 * label layout every augmentation works on: rows `[class, x1, y1, x2, y2]` in pixels.
 * @module
 */

/** An RGB image, row-major HWC uint8 (`pixels.length === width * height * 3`). */
export interface RgbImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/** Grey value of letterbox / mosaic / warp borders (official: 114). */
export const PAD_VALUE = 114;

/** A width x height image filled with one grey value (default {@link PAD_VALUE}). */
export function filledImage(width: number, height: number, value: number = PAD_VALUE): RgbImage {
  if (!(width > 0 && height > 0) || !Number.isInteger(width) || !Number.isInteger(height)) {
    throw new RangeError(`filledImage: expected positive integer width and height, got ${width}x${height}`);
  }
  return { pixels: new Uint8Array(width * height * 3).fill(value), width, height };
}

/** Throws when `img.pixels` does not hold width x height x 3 values. */
export function checkImage(img: RgbImage, where: string): void {
  if (img.pixels.length !== img.width * img.height * 3) {
    throw new RangeError(
      `${where}: expected ${img.width}x${img.height}x3 = ${img.width * img.height * 3} pixel values, ` +
        `got ${img.pixels.length}`,
    );
  }
}

/**
 * Copies the rectangle [sx, sx + w) x [sy, sy + h) of `src` to (dx, dy) of `dst` (in place on dst; the
 * rectangle must lie inside both images). Mirrors numpy slice assignment `dst[y1a:y2a, x1a:x2a] = src[...]`.
 */
export function blit(
  dst: RgbImage,
  src: RgbImage,
  rect: { sx: number; sy: number; dx: number; dy: number; w: number; h: number },
): void {
  const { sx, sy, dx, dy, w, h } = rect;
  if (w <= 0 || h <= 0) return;
  if (sx < 0 || sy < 0 || sx + w > src.width || sy + h > src.height) {
    throw new RangeError(`blit: source rect ${sx},${sy} ${w}x${h} outside ${src.width}x${src.height}`);
  }
  if (dx < 0 || dy < 0 || dx + w > dst.width || dy + h > dst.height) {
    throw new RangeError(`blit: destination rect ${dx},${dy} ${w}x${h} outside ${dst.width}x${dst.height}`);
  }
  const rowBytes = w * 3;
  for (let y = 0; y < h; y++) {
    const s = ((sy + y) * src.width + sx) * 3;
    dst.pixels.set(src.pixels.subarray(s, s + rowBytes), ((dy + y) * dst.width + dx) * 3);
  }
}

/** Number of label rows in a `[class, x1, y1, x2, y2]` (or `[class, cx, cy, w, h]`) array. */
export function labelCount(labels: Float32Array): number {
  if (labels.length % 5 !== 0) {
    throw new RangeError(`labels: expected a multiple of 5 values (rows of 5), got ${labels.length}`);
  }
  return labels.length / 5;
}
