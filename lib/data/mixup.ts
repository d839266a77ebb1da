/**
 * MixUp (utils/augmentations.py `mixup`, https://arxiv.org/abs/1710.09412): two same-size images blended
 * `img r + img2 (1 - r)` with `r ~ Beta(32, 32)`, truncated to uint8, labels concatenated.
 * @module
 */
import { checkImage, type RgbImage } from "./image.ts";
import { concatLabels } from "./boxes.ts";
import { type Rng, rngBeta } from "./rng.ts";

/** Blend of two same-size images with ratio r (deterministic part of mixup; numpy astype(uint8) truncates). */
export function blendImages(a: RgbImage, b: RgbImage, r: number): RgbImage {
  checkImage(a, "blendImages");
  checkImage(b, "blendImages");
  if (a.width !== b.width || a.height !== b.height) {
    throw new RangeError(
      `mixup: expected images of equal size, got ${a.width}x${a.height} and ${b.width}x${b.height}`,
    );
  }
  const out = new Uint8Array(a.pixels.length);
  const pa = a.pixels, pb = b.pixels, q = 1 - r;
  for (let i = 0; i < out.length; i++) out[i] = pa[i] * r + pb[i] * q;
  return { pixels: out, width: a.width, height: a.height };
}

/** Official mixup: draws r ~ Beta(32, 32), blends, concatenates the label rows (any row layout of 5). */
export function mixup(
  a: { image: RgbImage; labels: Float32Array },
  b: { image: RgbImage; labels: Float32Array },
  rng: Rng,
): { image: RgbImage; labels: Float32Array; ratio: number } {
  const r = rngBeta(rng, 32, 32);
  return { image: blendImages(a.image, b.image, r), labels: concatLabels([a.labels, b.labels]), ratio: r };
}
