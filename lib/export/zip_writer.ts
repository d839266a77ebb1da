/**
 * Writing ZIP archives of stored (uncompressed) entries, the container of `torch.save` (PyTorchStreamWriter):
 * each entry's data starts on a 64-byte boundary (padding in the local header's extra field, id `FB`), so a
 * reader can map tensors in place. No ZIP64: the archive must stay under 4 GiB.
 * @module
 */
import { crc32 } from "../io/zip/crc32.ts";

/** One entry: its path inside the archive and its bytes. */
export interface ZipEntryInput {
  name: string;
  data: Uint8Array;
}

const ALIGN = 64;
const LIMIT = 0xffffffff;

/** The bytes of a stored ZIP archive of `entries`, in order. */
export function zipStored(entries: ZipEntryInput[]): Uint8Array {
  const enc = new TextEncoder();
  const names = entries.map((e) => enc.encode(e.name));
  // Layout pass: offsets and padding.
  let pos = 0;
  const layout = entries.map((e, i) => {
    const header = 30 + names[i].length;
    // The extra field (4 header bytes + padding) puts the data on the boundary.
    const extra = e.data.length ? 4 + ((ALIGN - ((pos + header + 4) % ALIGN)) % ALIGN) : 0;
    const at = { offset: pos, extra, crc: crc32(e.data) };
    pos += header + extra + e.data.length;
    return at;
  });
  const cdStart = pos;
  const cdSize = names.reduce((s, n) => s + 46 + n.length, 0);
  const total = cdStart + cdSize + 22;
  if (total > LIMIT || entries.length > 0xffff) {
    throw new RangeError(
      `Cannot write a zip of ${total} bytes and ${entries.length} entries: ZIP64 is not supported`,
    );
  }
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  const common = (at: number, i: number) => {
    v.setUint16(at, 20, true); // version needed
    v.setUint16(at + 2, 0, true); // flags
    v.setUint16(at + 4, 0, true); // method: stored
    v.setUint16(at + 6, 0, true); // time
    v.setUint16(at + 8, 0x21, true); // date: 1980-01-01
    v.setUint32(at + 10, layout[i].crc, true);
    v.setUint32(at + 14, entries[i].data.length, true);
    v.setUint32(at + 18, entries[i].data.length, true);
    v.setUint16(at + 22, names[i].length, true);
  };
  entries.forEach((e, i) => {
    const { offset, extra } = layout[i];
    v.setUint32(offset, 0x04034b50, true);
    common(offset + 4, i);
    v.setUint16(offset + 28, extra, true);
    out.set(names[i], offset + 30);
    const x = offset + 30 + names[i].length;
    if (extra) {
      v.setUint16(x, 0x4246, true); // "FB", as PyTorchStreamWriter
      v.setUint16(x + 2, extra - 4, true);
    }
    out.set(e.data, x + extra);
  });
  let c = cdStart;
  entries.forEach((_, i) => {
    v.setUint32(c, 0x02014b50, true);
    v.setUint16(c + 4, 20, true); // version made by
    common(c + 6, i);
    // extra, comment, disk, internal and external attributes: 0
    v.setUint32(c + 42, layout[i].offset, true);
    out.set(names[i], c + 46);
    c += 46 + names[i].length;
  });
  v.setUint32(c, 0x06054b50, true);
  v.setUint16(c + 8, entries.length, true);
  v.setUint16(c + 10, entries.length, true);
  v.setUint32(c + 12, cdSize, true);
  v.setUint32(c + 16, cdStart, true);
  return out;
}
