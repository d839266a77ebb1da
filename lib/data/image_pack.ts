/**
 * The decoded-image cache on disk (the official `--cache disk`, one file per split instead of one .npy
 * per image): every image of a split decoded once to RGB and packed into one file, so later runs on the
 * same data (the ablations' dozens of runs) read one file instead of decoding thousands. An entry is
 * used only while its image file keeps the size and modification time it had when packed. The pack is
 * read whole and held in memory while its dataset is in use (hence a size limit). I/O module.
 *
 * Layout: the magic line `yolov9-ts image pack 1\n`, a little-endian uint32 header length, the JSON
 * header `{ entries: [{ path, size, mtime, width, height, offset }] }`, then the pixels (HWC uint8).
 * @module
 */
import { writeAtomic } from "../io/atomic.ts";
import type { RgbImage } from "./image.ts";
import { decodeImage } from "./image_io.ts";
import { mapLimit } from "./image_files.ts";

const MAGIC = new TextEncoder().encode("yolov9-ts image pack 1\n");

/** What identifies an image file's content for the cache: its size in bytes and modification time (ms). */
export interface FileStamp {
  size: number;
  mtime: number;
}

/** One packed image: its file, the file's stamp, and the decoded pixels. */
export interface PackedImage extends FileStamp {
  path: string;
  image: RgbImage;
}

interface PackEntry extends FileStamp {
  path: string;
  width: number;
  height: number;
  offset: number;
}

/** The stamp of `file` (null when it cannot be read). */
export async function fileStamp(file: string): Promise<FileStamp | null> {
  const st = await Deno.stat(file).catch(() => null);
  return st?.isFile ? { size: st.size, mtime: st.mtime?.getTime() ?? 0 } : null;
}

/** The bytes of a pack holding `images`. */
export function encodeImagePack(images: readonly PackedImage[]): Uint8Array {
  let offset = 0;
  const entries: PackEntry[] = images.map(({ path, size, mtime, image }) => {
    const e = { path, size, mtime, width: image.width, height: image.height, offset };
    offset += image.pixels.length;
    return e;
  });
  const header = new TextEncoder().encode(JSON.stringify({ entries }));
  const start = MAGIC.length + 4 + header.length;
  const out = new Uint8Array(start + offset);
  out.set(MAGIC);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, MAGIC.length + 4);
  images.forEach((im, i) => out.set(im.image.pixels, start + entries[i].offset));
  return out;
}

/**
 * The images of pack `bytes` by path (pixels are views into `bytes`). Throws, saying what is wrong, on a
 * file that is not a complete pack.
 */
export function decodeImagePack(bytes: Uint8Array, file = "image pack"): Map<string, PackedImage> {
  const bad = (why: string) => new Error(`${file}: not a usable image pack: ${why}`);
  if (bytes.length < MAGIC.length + 4 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad("wrong magic line");
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  const start = MAGIC.length + 4 + n;
  if (start > bytes.length) throw bad(`header of ${n} bytes runs past the end (${bytes.length} bytes)`);
  let entries: PackEntry[];
  try {
    entries = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, start))).entries;
  } catch (e) {
    throw bad(`header is not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(entries)) throw bad("header has no entries list");
  const out = new Map<string, PackedImage>();
  for (const e of entries) {
    const len = e.width * e.height * 3;
    if (!(Number.isInteger(len) && len > 0 && e.offset >= 0 && start + e.offset + len <= bytes.length)) {
      throw bad(
        `entry ${e.path} (${e.width}x${e.height} at ${e.offset}) lies outside the ${bytes.length} bytes`,
      );
    }
    const pixels = bytes.subarray(start + e.offset, start + e.offset + len);
    out.set(e.path, {
      path: e.path,
      size: e.size,
      mtime: e.mtime,
      image: { pixels, width: e.width, height: e.height },
    });
  }
  return out;
}

/** The pack at `file` (empty when there is none; `onBad` is told why an unusable one is ignored). */
export async function readImagePack(
  file: string,
  onBad: (why: string) => void,
): Promise<Map<string, PackedImage>> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      onBad(`${file}: cannot read the image pack: ${(e as Error).message}`);
    }
    return new Map();
  }
  try {
    return decodeImagePack(bytes, file);
  } catch (e) {
    onBad(`${(e as Error).message}; rebuilding it`);
    return new Map();
  }
}

/** Writes the pack of `images` to `file` atomically. */
export async function writeImagePack(file: string, images: readonly PackedImage[]): Promise<void> {
  await writeAtomic(file, encodeImagePack(images));
}

/** The pack a split whose first image is `firstImage` uses: beside that image's folder (`images/train.rgb-pack`). */
export function imagePackPath(firstImage: string): string {
  const dir = firstImage.replace(/[\\/][^\\/]*$/, "");
  return `${dir}.rgb-pack`;
}

/** A split's pack while a dataset loads: its file, what it held, and the stamps of the images looked up. */
export interface SplitPack {
  file: string;
  held: Map<string, PackedImage>;
  stamps: Map<string, FileStamp | null>;
}

/** Opens the pack of the split whose sorted image list starts with `firstImage`. */
export async function openSplitPack(firstImage: string, onBad: (why: string) => void): Promise<SplitPack> {
  const file = imagePackPath(firstImage);
  return { file, held: await readImagePack(file, onBad), stamps: new Map() };
}

/** The packed image of `file` if its last looked-up stamp equals the packed one, else null. */
function current(pack: SplitPack, file: string): RgbImage | null {
  const e = pack.held.get(file), st = pack.stamps.get(file);
  return e && st && e.size === st.size && e.mtime === st.mtime ? e.image : null;
}

/** The packed image of `file` while the file keeps its packed size and modification time, else null. */
export async function packHit(pack: SplitPack, file: string): Promise<RgbImage | null> {
  pack.stamps.set(file, await fileStamp(file));
  return current(pack, file);
}

/**
 * The decoded images of `paths` by path: packed ones as they are, the others decoded now; the pack is
 * rewritten when any were added. Once the pixels would exceed `maxBytes`, decoding stops, the pack is not
 * written and only the packed images are returned. An image that fails to decode is left out (its loader
 * reports it, as without a pack).
 */
export async function completePack(
  pack: SplitPack,
  paths: readonly string[],
  opts: { maxBytes: number; concurrency: number; onBad: (why: string) => void },
): Promise<Map<string, RgbImage>> {
  const out = new Map<string, RgbImage>();
  const missing: string[] = [];
  let bytes = 0;
  for (const p of paths) {
    const image = current(pack, p);
    if (!image) {
      missing.push(p);
      continue;
    }
    out.set(p, image);
    bytes += image.pixels.length;
  }
  if (!missing.length) return out;
  const decoded = await mapLimit(missing, opts.concurrency, async (p) => {
    if (bytes > opts.maxBytes) return null;
    const stamp = pack.stamps.get(p) ?? await fileStamp(p);
    const image = stamp ? await decodeImage(p).catch(() => null) : null;
    if (image) bytes += image.pixels.length;
    return image && stamp ? { path: p, ...stamp, image } : null;
  });
  if (bytes > opts.maxBytes) {
    opts.onBad(
      `${pack.file}: image pack not written: the decoded pixels (${bytes}+ bytes) exceed the ${opts.maxBytes}-byte limit`,
    );
    return out;
  }
  const fresh = decoded.filter((d): d is PackedImage => d !== null);
  const all = [...[...out.keys()].map((p) => pack.held.get(p)!), ...fresh];
  try {
    await writeImagePack(pack.file, all);
  } catch (e) {
    opts.onBad(
      `${pack.file}: cannot write the image pack (${(e as Error).message}); images are decoded each run`,
    );
  }
  for (const d of fresh) out.set(d.path, d.image);
  return out;
}
