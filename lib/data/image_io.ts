/**
 * Image files <-> {@link RgbImage} through sharp (libvips): decode JPEG / PNG / WebP / TIFF / GIF / AVIF
 * with the EXIF orientation applied, alpha flattened onto grey 114, greyscale expanded to RGB; a cheap
 * header probe for dataset checks; JPEG encoding for generated datasets. I/O module.
 * @module
 */
import sharp from "npm:sharp@0.35.5";
import { checkImage, PAD_VALUE, type RgbImage } from "./image.ts";

/** Image file extensions listed by datasets (the official IMG_FORMATS). */
export const IMG_FORMATS: readonly string[] = [
  "bmp",
  "dng",
  "jpeg",
  "jpg",
  "mpo",
  "png",
  "tif",
  "tiff",
  "webp",
  "pfm",
];

/** Decodes an image file (path) or encoded bytes to RGB, EXIF orientation applied. Throws on corrupt data. */
export async function decodeImage(src: string | Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(src, { failOn: "error" })
    .autoOrient()
    .flatten({ background: { r: PAD_VALUE, g: PAD_VALUE, b: PAD_VALUE } })
    .toColourspace("srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) {
    throw new Error(`decodeImage: expected 3 channels after conversion, got ${info.channels}`);
  }
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { pixels, width: info.width, height: info.height };
}

/** Result of {@link probeImage}: the displayed size (after EXIF orientation) or why the file is unusable. */
export type ProbeResult = { ok: true; width: number; height: number; format: string } | {
  ok: false;
  reason: string;
};

/** The last 12 bytes of every complete PNG: the IEND chunk (length 0, type, CRC). */
const PNG_IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

function endsWith(bytes: Uint8Array, tail: readonly number[]): boolean {
  return bytes.length >= tail.length && tail.every((b, i) => bytes[bytes.length - tail.length + i] === b);
}

/**
 * Checks an image file without decoding all of it: the header must parse, the size be at least 10 x 10
 * (official `verify_image_label`), and a JPEG must end with its EOI marker and a PNG with its IEND chunk
 * (otherwise it is decoded fully, and rejected when that fails, where the official code re-saves a JPEG).
 * `full` decodes every image.
 */
export async function probeImage(file: string, opts: { full?: boolean } = {}): Promise<ProbeResult> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (e) {
    return { ok: false, reason: `cannot read: ${(e as Error).message}` };
  }
  try {
    const m = await sharp(bytes).metadata();
    const width = m.autoOrient?.width ?? m.width, height = m.autoOrient?.height ?? m.height;
    if (!width || !height) return { ok: false, reason: "no image size in the header" };
    if (width < 10 || height < 10) return { ok: false, reason: `image size ${width}x${height} < 10 pixels` };
    const truncatedJpeg = m.format === "jpeg" &&
      !(bytes[bytes.length - 2] === 0xff && bytes[bytes.length - 1] === 0xd9);
    const truncatedPng = m.format === "png" && !endsWith(bytes, PNG_IEND);
    if (opts.full || truncatedJpeg || truncatedPng) await decodeImage(bytes);
    return { ok: true, width, height, format: m.format ?? "unknown" };
  } catch (e) {
    return { ok: false, reason: (e as Error).message.split("\n")[0] };
  }
}

/** JPEG bytes of an RGB image (quality default 90, 4:4:4 chroma so small digits keep their colour). */
export async function encodeJpeg(img: RgbImage, quality = 90): Promise<Uint8Array> {
  checkImage(img, "encodeJpeg");
  const buf = await sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: 3 } })
    .jpeg({ quality, chromaSubsampling: "4:4:4" })
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
