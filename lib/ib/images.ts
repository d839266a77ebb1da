/**
 * Input photos of the study (I/O module): decoded with sharp (lib/data/image_io.ts), cropped to a
 * square and resized (area interpolation when shrinking) to the network input size. When more study
 * images are asked for than there are photos, the extra ones are crops of the same photos: round 0 is
 * every photo's centre square, rounds 1-4 its top-left, top-right, bottom-left and bottom-right squares
 * of 60 % of the short side (named `photo.jpg@tl` etc.). Crops of one photo overlap and are not
 * independent samples; the intervals over images treat them as if they were.
 * @module
 */
import type { RgbImage } from "../data/image.ts";
import { decodeImage } from "../data/image_io.ts";
import { resizeImage } from "../data/resize.ts";
import type { NamedImage } from "./analysis.ts";
import { toFloatImage } from "./samples.ts";

/** The largest centred square of an image. */
export function centreSquare(img: RgbImage): RgbImage {
  return cropSquare(img, 1, 0.5, 0.5);
}

/** The study's photos (public domain / CC0; data/images/README.md, data/backgrounds/README.md), figure image first. */
export const STUDY_PHOTOS: readonly string[] = [
  "data/images/chelsea.png", "data/backgrounds/astronaut.jpg", "data/backgrounds/coffee.jpg", "data/backgrounds/rocket.jpg",
  "data/backgrounds/brick.jpg", "data/backgrounds/grass.jpg", "data/backgrounds/gravel.jpg",
];

/** Crop rounds: [name suffix, x and y position of the square as a fraction of the free room]. */
const ROUNDS: readonly [string, number, number][] = [["", 0.5, 0.5], ["@tl", 0, 0], ["@tr", 1, 0], ["@bl", 0, 1], ["@br", 1, 1]];

/** The square of side `frac` x the short side at relative position (`fx`, `fy`) of the free room. */
export function cropSquare(img: RgbImage, frac: number, fx: number, fy: number): RgbImage {
  const side = Math.max(1, Math.round(Math.min(img.width, img.height) * frac));
  const x0 = Math.round((img.width - side) * fx);
  const y0 = Math.round((img.height - side) * fy);
  const pixels = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    const s = ((y0 + y) * img.width + x0) * 3;
    pixels.set(img.pixels.subarray(s, s + side * 3), y * side * 3);
  }
  return { pixels, width: side, height: side };
}

/** A study image: the `size` x `size` RGB raster (for figures) and its float form (for the networks). */
export interface StudyImage extends NamedImage {
  rgb: RgbImage;
}

/**
 * Load `count` (default: one per photo) `size` x `size` study images from `paths`: the photos' centre
 * squares, then crops (see the module notes), named by file name.
 */
export async function loadStudyImages(paths: string[], size: number, count = paths.length): Promise<StudyImage[]> {
  if (!(Number.isInteger(size) && size > 0)) throw new RangeError(`size must be a positive integer, got ${size}`);
  if (!(Number.isInteger(count) && count >= 1 && count <= paths.length * ROUNDS.length)) {
    throw new RangeError(`Cannot make ${count} study images from ${paths.length} photos: expected 1 to ${paths.length * ROUNDS.length} (${ROUNDS.length} crops each)`);
  }
  const photos = await Promise.all(paths.slice(0, count).map((p) => decodeImage(p)));
  return Array.from({ length: count }, (_, i) => {
    const [suffix, fx, fy] = ROUNDS[Math.floor(i / paths.length)];
    const k = i % paths.length;
    const rgb = resizeImage(cropSquare(photos[k], suffix ? 0.6 : 1, fx, fy), size, size, { interpolation: "area" });
    return { name: paths[k].replace(/^.*\//, "") + suffix, image: toFloatImage(rgb), rgb };
  });
}
