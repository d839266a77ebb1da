/**
 * PNG encoding of RGB buffers through sharp, and writing them to disk (creating the folder). I/O module.
 * @module
 */
import * as path from "node:path";
import sharp from "npm:sharp@0.35.5";
import type { RgbImage } from "../data/image.ts";

/** PNG bytes of an RGB (HWC uint8) image. */
export async function encodePng(img: RgbImage): Promise<Uint8Array> {
  if (img.pixels.length !== img.width * img.height * 3) {
    throw new RangeError(
      `encodePng: expected ${img.width * img.height * 3} pixel values, got ${img.pixels.length}`,
    );
  }
  const buf = await sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: 3 } }).png()
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Writes `img` as a PNG file at `file` (parent folders created). */
export async function writePng(file: string, img: RgbImage): Promise<void> {
  await Deno.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await Deno.writeFile(file, await encodePng(img));
}
