/**
 * Raw deflate decompression (ZIP method 8, via `DecompressionStream("deflate-raw")`) into a buffer of the entry's
 * declared size, stopped as soon as the stream inflates past it (zip-bomb guard).
 * @module
 */
import type { ZipFail } from "./format.ts";

/**
 * Inflate the raw deflate data of entry `name`, which must decompress to exactly `size` bytes; `fail` reports
 * corrupt or truncated data and any other size. With `prefix` < `size`, only the first `prefix` bytes are
 * inflated (and returned): the rest is never decompressed.
 */
export async function inflateRaw(
  raw: Uint8Array,
  size: number,
  name: string,
  fail: ZipFail,
  prefix = size,
): Promise<Uint8Array> {
  const want = Math.min(prefix, size);
  const out = new Uint8Array(want);
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
      if (want < size) { // a prefix: keep what is wanted, stop as soon as it is there
        out.set(chunk.value.subarray(0, want - filled), filled);
        filled += Math.min(chunk.value.length, want - filled);
        if (filled === want) return out;
        continue;
      }
      if (filled + chunk.value.length > size) {
        fail(`entry "${name}" inflates to more than its declared ${size} bytes`);
      }
      out.set(chunk.value, filled);
      filled += chunk.value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  if (filled !== want) fail(`entry "${name}" inflates to ${filled} bytes, declared ${size}`);
  return out;
}
