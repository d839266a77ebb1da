/**
 * Raw deflate decompression (ZIP method 8, via `DecompressionStream("deflate-raw")`) into a buffer of the entry's
 * declared size, stopped as soon as the stream inflates past it (zip-bomb guard).
 * @module
 */
import type { ZipFail } from "./format.ts";

/**
 * Inflate the raw deflate data of entry `name`, which must decompress to exactly `size` bytes; `fail` reports
 * corrupt or truncated data and any other size.
 */
export async function inflateRaw(
  raw: Uint8Array,
  size: number,
  name: string,
  fail: ZipFail,
): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let filled = 0;
  const stream = new Blob([raw as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("deflate-raw"),
  );
  const reader = stream.getReader();
  try {
    while (true) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        fail(`entry "${name}": deflate data are corrupt or truncated (${(err as Error).message})`);
      }
      if (chunk.done) break;
      if (filled + chunk.value.length > size) {
        fail(`entry "${name}" inflates to more than its declared ${size} bytes`);
      }
      out.set(chunk.value, filled);
      filled += chunk.value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  if (filled !== size) fail(`entry "${name}" inflates to ${filled} bytes, declared ${size}`);
  return out;
}
