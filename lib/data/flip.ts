/**
 * Left-right and up-down flips of an image and its normalised labels (the `fliplr` / `flipud` steps of
 * utils/dataloaders.py `LoadImagesAndLabels.__getitem__`: `x_c -> 1 - x_c`, `y_c -> 1 - y_c`).
 * @module
 */
import { checkImage, type RgbImage } from "./image.ts";

/** `img` mirrored left-right (np.fliplr). */
export function flipImageLr(img: RgbImage): RgbImage {
  checkImage(img, "flipImageLr");
  const { width: w, height: h, pixels: src } = img;
  const out = new Uint8Array(src.length);
  for (let y = 0; y < h; y++) {
    const row = y * w * 3;
    for (let x = 0; x < w; x++) {
      const s = row + x * 3, d = row + (w - 1 - x) * 3;
      out[d] = src[s];
      out[d + 1] = src[s + 1];
      out[d + 2] = src[s + 2];
    }
  }
  return { pixels: out, width: w, height: h };
}

/** `img` mirrored up-down (np.flipud). */
export function flipImageUd(img: RgbImage): RgbImage {
  checkImage(img, "flipImageUd");
  const { width: w, height: h, pixels: src } = img;
  const out = new Uint8Array(src.length);
  const row = w * 3;
  for (let y = 0; y < h; y++) out.set(src.subarray(y * row, (y + 1) * row), (h - 1 - y) * row);
  return { pixels: out, width: w, height: h };
}

/** Normalised `[c, cx, cy, w, h]` rows mirrored left-right (`cx -> 1 - cx`). */
export function flipLabelsLr(labels: Float32Array): Float32Array {
  const out = labels.slice();
  for (let o = 0; o < out.length; o += 5) out[o + 1] = 1 - out[o + 1];
  return out;
}

/** Normalised `[c, cx, cy, w, h]` rows mirrored up-down (`cy -> 1 - cy`). */
export function flipLabelsUd(labels: Float32Array): Float32Array {
  const out = labels.slice();
  for (let o = 0; o < out.length; o += 5) out[o + 2] = 1 - out[o + 2];
  return out;
}
