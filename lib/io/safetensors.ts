/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header mapping names to
 * `{dtype, shape, data_offsets}` (plus `__metadata__`), then the raw little-endian bytes.
 * @module
 */
import { writeAtomic } from "./atomic.ts";
import { DTYPE_BYTES, type DType, numel, type RawTensor, typedArray } from "./raw_tensor.ts";

/** The parsed content of a safetensors file. */
export interface SafetensorsFile {
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

/**
 * Parse safetensors bytes. `source` names the file in error messages.
 *
 * @example
 * ```ts
 * const { tensors } = parseSafetensors(await Deno.readFile("w.safetensors"), "w.safetensors");
 * ```
 */
export function parseSafetensors(bytes: Uint8Array, source = "<bytes>"): SafetensorsFile {
  if (bytes.length < 8) throw new SyntaxError(`Cannot read safetensors ${source}: file has ${bytes.length} bytes, expected at least 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = Number(view.getBigUint64(0, true));
  if (8 + hlen > bytes.length) {
    throw new SyntaxError(
      `Cannot read safetensors ${source}: truncated or bad header: header length ${hlen} exceeds file size ${bytes.length}`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hlen)));
  } catch (e) {
    throw new SyntaxError(`Cannot read safetensors ${source}: header is not JSON (${(e as Error).message})`);
  }
  const body = bytes.subarray(8 + hlen);
  const tensors = new Map<string, RawTensor>();
  let metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = entry as { dtype: DType; shape: number[]; data_offsets: [number, number] };
    if (!(dtype in DTYPE_BYTES)) throw new TypeError(`Cannot read safetensors ${source}: tensor "${name}" has unsupported dtype "${dtype}"`);
    const [a, b] = data_offsets;
    const want = numel(shape) * DTYPE_BYTES[dtype];
    if (b - a !== want || b > body.length || a < 0) {
      throw new RangeError(
        `Cannot read safetensors ${source}: tensor "${name}" ${dtype}[${shape}] needs ${want} bytes at [${a}, ${b}), body has ${body.length}`,
      );
    }
    tensors.set(name, { dtype, shape, data: typedArray(dtype, body.subarray(a, b)) });
    ranges.push([a, b, name]);
  }
  ranges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  for (let i = 1; i < ranges.length; i++) {
    const [p, q] = [ranges[i - 1], ranges[i]];
    if (q[0] < p[1] && q[0] < q[1]) {
      throw new RangeError(
        `Cannot read safetensors ${source}: tensors "${p[2]}" [${p[0]}, ${p[1]}) and "${q[2]}" [${q[0]}, ${q[1]}) overlap; ` +
          `expected disjoint data_offsets`,
      );
    }
  }
  return { tensors, metadata };
}

/** Serialise tensors (written in name order, header padded to 8 bytes) with optional string metadata. */
export function serializeSafetensors(tensors: Map<string, RawTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const n = numel(t.shape) * DTYPE_BYTES[t.dtype];
    if (t.data.byteLength !== n) {
      throw new RangeError(`Cannot write tensor "${name}": ${t.dtype}[${t.shape}] needs ${n} bytes, data has ${t.data.byteLength}`);
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = JSON.stringify(header);
  while ((8 + new TextEncoder().encode(json).length) % 8) json += " ";
  const hbytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hbytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hbytes.length), true);
  out.set(hbytes, 8);
  let pos = 8 + hbytes.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

/** Read a safetensors file from disk. */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  return parseSafetensors(await Deno.readFile(path), path);
}

/** Write a safetensors file atomically (temp file + rename). */
export async function writeSafetensors(
  path: string,
  tensors: Map<string, RawTensor>,
  metadata: Record<string, string> = {},
): Promise<void> {
  await writeAtomic(path, serializeSafetensors(tensors, metadata));
}
