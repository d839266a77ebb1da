/**
 * MNIST-Det, the embedded default detection dataset: real handwritten MNIST digits composed onto crops of
 * real photos and textures, with exact boxes. This module is the deterministic composition of one image;
 * `mnist_det_build.ts` writes a whole dataset to disk.
 *
 * One image: a random square crop (50-100% of the short side) of a random background, resized to
 * img x img and mirrored with probability 0.5; then 1..6 digits, each an MNIST 28 x 28 cell scaled to
 * s x s (s uniform in [16, 64] px) and drawn as ink (the digit's grey level is its opacity; levels below
 * 24/255 after scaling are cleared so no faint fringe lies outside the box) in a colour contrasting with
 * the background under it. A digit's box is the tight box of its nonzero ink pixels; digits whose box
 * would touch an earlier one (1 px margin) are re-drawn (30 tries, then skipped).
 * @module
 */
import { blit, type RgbImage } from "./image.ts";
import { resizeImage } from "./resize.ts";
import { flipImageLr } from "./flip.ts";
import { type Rng, rngFloat, rngInt, rngUniform } from "./rng.ts";
import type { MnistDigits } from "./mnist.ts";

/** Composition options of one MNIST-Det image. */
export interface MnistDetComposeOptions {
  /** Image side in pixels. Default 160. */
  img?: number;
  /** Digits per image, inclusive range. Default 1..6. */
  minDigits?: number;
  maxDigits?: number;
  /** Side of the scaled 28 x 28 digit cell in pixels, inclusive range. Default 16..64. */
  minSize?: number;
  maxSize?: number;
}

/** One composed image: pixels, labels `[class, cx, cy, w, h]` normalised, and the pixel boxes [x1, y1, x2, y2). */
export interface MnistDetImage {
  image: RgbImage;
  labels: Float32Array;
  boxes: number[][];
}

/** Ink levels below this (of 255) are cleared after scaling. */
export const INK_THRESHOLD = 24;

/** Random square crop of a background, resized to size x size, mirrored with probability 0.5. */
function backgroundCrop(bg: RgbImage, size: number, rng: Rng): RgbImage {
  const short = Math.min(bg.width, bg.height);
  const c = Math.max(8, Math.round(short * rngUniform(rng, 0.5, 1)));
  const x = rngInt(rng, 0, bg.width - c), y = rngInt(rng, 0, bg.height - c);
  const crop: RgbImage = { pixels: new Uint8Array(c * c * 3), width: c, height: c };
  blit(crop, bg, { sx: x, sy: y, dx: 0, dy: 0, w: c, h: c });
  const out = resizeImage(crop, size, size);
  return rngFloat(rng) < 0.5 ? flipImageLr(out) : out;
}

/** Digit `d` scaled to s x s as an alpha mask (bilinear, fringe cleared) with its tight ink box. */
export function scaledDigit(
  digits: MnistDigits,
  d: number,
  s: number,
): { alpha: Uint8Array; box: [number, number, number, number] | null } {
  const cell: RgbImage = { pixels: new Uint8Array(784 * 3), width: 28, height: 28 };
  for (let i = 0; i < 784; i++) cell.pixels.fill(digits.images[d * 784 + i], 3 * i, 3 * i + 3);
  const big = resizeImage(cell, s, s);
  const alpha = new Uint8Array(s * s);
  let x1 = s, y1 = s, x2 = -1, y2 = -1;
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const a = big.pixels[(y * s + x) * 3];
      if (a < INK_THRESHOLD) continue;
      alpha[y * s + x] = a;
      x1 = Math.min(x1, x), y1 = Math.min(y1, y), x2 = Math.max(x2, x), y2 = Math.max(y2, y);
    }
  }
  return { alpha, box: x2 < 0 ? null : [x1, y1, x2 + 1, y2 + 1] };
}

/** Mean luma of `img` inside [x1, x2) x [y1, y2). */
function meanLuma(img: RgbImage, b: number[]): number {
  let sum = 0, n = 0;
  for (let y = b[1]; y < b[3]; y++) {
    for (let x = b[0]; x < b[2]; x++) {
      const o = (y * img.width + x) * 3;
      sum += 0.299 * img.pixels[o] + 0.587 * img.pixels[o + 1] + 0.114 * img.pixels[o + 2];
      n++;
    }
  }
  return n ? sum / n : 128;
}

/** Composes one MNIST-Det image from `backgrounds` and `digits` with the generator `rng`. */
export function composeMnistDet(
  backgrounds: readonly RgbImage[],
  digits: MnistDigits,
  rng: Rng,
  opts: MnistDetComposeOptions = {},
): MnistDetImage {
  const size = opts.img ?? 160;
  const minS = opts.minSize ?? 16, maxS = Math.min(opts.maxSize ?? 64, size);
  if (!backgrounds.length) {
    throw new RangeError("composeMnistDet: expected at least one background image, got none");
  }
  if (minS > maxS) {
    throw new RangeError(`composeMnistDet: expected minSize <= maxSize <= img, got ${minS}, ${maxS}`);
  }
  const bg = backgroundCrop(backgrounds[rngInt(rng, 0, backgrounds.length - 1)], size, rng);
  const out = bg.pixels.slice();
  const k = rngInt(rng, opts.minDigits ?? 1, opts.maxDigits ?? 6);
  const boxes: number[][] = [];
  const labels: number[] = [];
  for (let j = 0; j < k; j++) {
    for (let attempt = 0; attempt < 30; attempt++) {
      const s = rngInt(rng, minS, maxS);
      const d = rngInt(rng, 0, digits.count - 1);
      const x0 = rngInt(rng, 0, size - s), y0 = rngInt(rng, 0, size - s);
      const { alpha, box } = scaledDigit(digits, d, s);
      if (!box) continue;
      const b = [x0 + box[0], y0 + box[1], x0 + box[2], y0 + box[3]];
      if (boxes.some((o) => b[0] <= o[2] && o[0] <= b[2] && b[1] <= o[3] && o[1] <= b[3])) continue;
      const dark = meanLuma(bg, b) > 127;
      const col = [0, 1, 2].map(() => (dark ? rngInt(rng, 0, 70) : rngInt(rng, 185, 255)));
      const opacity = rngUniform(rng, 0.85, 1);
      for (let y = 0; y < s; y++) {
        for (let x = 0; x < s; x++) {
          const a = alpha[y * s + x];
          if (!a) continue;
          const t = (a / 255) * opacity, o = ((y0 + y) * size + x0 + x) * 3;
          for (let c = 0; c < 3; c++) out[o + c] = Math.round(out[o + c] * (1 - t) + col[c] * t);
        }
      }
      boxes.push(b);
      labels.push(
        digits.labels[d],
        (b[0] + b[2]) / 2 / size,
        (b[1] + b[3]) / 2 / size,
        (b[2] - b[0]) / size,
        (b[3] - b[1]) / size,
      );
      break;
    }
  }
  return { image: { pixels: out, width: size, height: size }, labels: new Float32Array(labels), boxes };
}
