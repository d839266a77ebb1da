/**
 * A minimal, defensive ZIP reader: enough for PyTorch checkpoints (which store every record uncompressed) and for
 * archives re-packed by common tools (deflate). It reads the central directory, supports stored (method 0) and
 * deflate (method 8, via `DecompressionStream("deflate-raw")`) entries and ZIP64, and checks every offset and size
 * against the file before touching it: a wrong magic, a truncated file, an entry reaching past the end, duplicate
 * names, encrypted or multi-disk archives and declared sizes beyond the configured limit are all reported as a
 * {@link ZipError} naming the file and what is wrong.
 *
 * Nothing is decompressed until asked for, and a deflate stream that inflates to more than its declared size is
 * stopped there (zip-bomb guard). CRC-32 is verified on every read unless turned off.
 *
 * @example Usage
 * ```ts
 * import { ZipArchive } from "./mod.ts";
 * const zip = ZipArchive.open(await Deno.readFile("model.pt"), "model.pt");
 * const pkl = await zip.read(zip.names().find((n) => n.endsWith("/data.pkl"))!);
 * ```
 * @module
 */
export { ZipArchive } from "./archive.ts";
export { crc32 } from "./crc32.ts";
export { isZip, type ZipEntry, ZipError, type ZipOptions } from "./format.ts";
