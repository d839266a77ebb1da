/**
 * Input photos of the study (I/O module): decoded with sharp (lib/data/image_io.ts), centre-cropped
 * to a square and resized (area interpolation when shrinking) to the network input size.
 * @module
 */
import type { RgbImage } from "../data/image.ts";
import { decodeImage } from "../data/image_io.ts";
import { resizeImage } from "../data/resize.ts";
import type { NamedImage } from "./analysis.ts";
import { toFloatImage } from "./samples.ts";

/** The largest centred square of an image. */
export function centreSquare(img: RgbImage): RgbImage {
  const side = Math.min(img.width, img.height);
  const x0 = Math.floor((img.width - side) / 2);
  const y0 = Math.floor((img.height - side) / 2);
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

/** Load photos as `size` x `size` study images, named by file name. */
export async function loadStudyImages(paths: string[], size: number): Promise<StudyImage[]> {
  if (!(Number.isInteger(size) && size > 0)) throw new RangeError(`size must be a positive integer, got ${size}`);
  return await Promise.all(paths.map(async (p) => {
    const rgb = resizeImage(centreSquare(await decodeImage(p)), size, size, { interpolation: "area" });
    return { name: p.replace(/^.*\//, ""), image: toFloatImage(rgb), rgb };
  }));
}
