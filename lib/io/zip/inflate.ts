/**
 * Raw deflate decompression (ZIP method 8, via `DecompressionStream("deflate-raw")`) into a buffer of the entry's
 * declared size, stopped as soon as the stream inflates past it (zip-bomb guard). The compressed bytes are fed in
 * small slices, so no single step inflates more than about a thousand times a slice (deflate's largest ratio),
 * however far the whole entry would inflate.
 * @module
 */
import type { ZipFail } from "./format.ts";

/** Compressed bytes fed to the decompressor at a time (at most ~16 MiB of output each). */
const SLICE = 16 * 1024;

/**
 * Inflate the raw deflate data of entry `name`, which must decompress to exactly `size` bytes; `fail` reports
 * corrupt or truncated data and any other size. With `prefix` < `size`, only the first `prefix` bytes are
 * inflated (and returned): decompression stops there.
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
  const stream = new DecompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  let stopped = false;
  const feed = (async () => {
    for (let o = 0; o < raw.length && !stopped; o += SLICE) await writer.write(raw.slice(o, o + SLICE));
    if (!stopped) await writer.close();
  })().catch(() => {}); // a corrupt stream errors both sides: the reader reports it
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
    stopped = true;
    await reader.cancel().catch(() => {});
    await writer.abort().catch(() => {});
    await feed;
  }
  if (filled !== want) fail(`entry "${name}" inflates to ${filled} bytes, declared ${size}`);
  return out;
}
