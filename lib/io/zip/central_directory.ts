/**
 * The central directory of a ZIP file: finding the end record (ZIP64 included), then reading and checking every
 * entry record (sizes, offsets, flags, names) against the file and the limits before anything is read.
 * @module
 */
import {
  isZip,
  SIG_CENTRAL,
  SIG_ZIP64_EOCD,
  SIG_ZIP64_LOCATOR,
  type ZipEntry,
  type ZipFail,
  ZipFields,
  type ZipOptions,
} from "./format.ts";

/**
 * The entries of the ZIP file `b`, by name in central-directory order. `fail` reports any structural problem
 * or declared size beyond `opts`.
 */
export function readCentralDirectory(
  b: Uint8Array,
  opts: Required<ZipOptions>,
  fail: ZipFail,
): Map<string, ZipEntry> {
  const f = new ZipFields(b, fail);
  const entries = new Map<string, ZipEntry>();
  const n = b.length;
  if (n < 22) {
    fail(
      n >= 4 && isZip(b)
        ? `file is truncated (${n} bytes, no end-of-central-directory record)`
        : `not a zip file (${n} bytes)`,
    );
  }
  if (!isZip(b)) {
    const head = [...b.subarray(0, 4)].map((x) => x.toString(16).padStart(2, "0")).join(" ");
    fail(`wrong magic ${head} at offset 0 (expected 50 4b 03 04, a zip local file header)`);
  }
  // Find the end-of-central-directory record: last occurrence within the final 22 + 65535 bytes.
  let eocd = -1;
  for (let p = n - 22; p >= Math.max(0, n - 22 - 65535); p--) {
    if (
      b[p] === 0x50 && b[p + 1] === 0x4b && b[p + 2] === 0x05 && b[p + 3] === 0x06 &&
      p + 22 + f.u16(p + 20) <= n
    ) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) {
    fail(
      `no end-of-central-directory record in the last ${Math.min(n, 65557)} bytes (file truncated?)`,
    );
  }
  const diskNo = f.u16(eocd + 4);
  const cdDisk = f.u16(eocd + 6);
  let count = f.u16(eocd + 10);
  let cdSize = f.u32(eocd + 12);
  let cdOffset = f.u32(eocd + 16);
  let cdEnd = eocd;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || f.u32(loc) !== SIG_ZIP64_LOCATOR) {
      fail(`ZIP64 markers in the end record at ${eocd} but no ZIP64 locator`);
    }
    const rec = f.u64(loc + 8, "ZIP64 end record offset");
    if (rec + 56 > loc || f.u32(rec) !== SIG_ZIP64_EOCD) {
      fail(`ZIP64 end record at ${rec} is missing or out of range`);
    }
    count = f.u64(rec + 32, "ZIP64 entry count");
    cdSize = f.u64(rec + 40, "ZIP64 central directory size");
    cdOffset = f.u64(rec + 48, "ZIP64 central directory offset");
    cdEnd = rec;
  }
  if (diskNo !== 0 || cdDisk !== 0) fail("multi-disk archives are not supported");
  if (cdOffset + cdSize > cdEnd) {
    fail(
      `central directory [${cdOffset}, ${
        cdOffset + cdSize
      }) reaches past its end record at ${cdEnd} (file truncated?)`,
    );
  }
  if (count > opts.maxEntries) {
    fail(`declares ${count} entries, more than the limit ${opts.maxEntries}`);
  }
  if (count * 46 > cdSize) {
    fail(`declares ${count} entries but the central directory has only ${cdSize} bytes`);
  }
  const dec = new TextDecoder();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdOffset + cdSize) {
      fail(`central directory entry ${i} at ${p} runs past the directory end`);
    }
    if (f.u32(p) !== SIG_CENTRAL) {
      fail(`bad central directory signature at offset ${p} (entry ${i})`);
    }
    const flags = f.u16(p + 8);
    const method = f.u16(p + 10);
    const crc = f.u32(p + 16);
    let csize = f.u32(p + 20);
    let usize = f.u32(p + 24);
    const nlen = f.u16(p + 28);
    const elen = f.u16(p + 30);
    const clen = f.u16(p + 32);
    let disk = f.u16(p + 34);
    let lho = f.u32(p + 42);
    const end = p + 46 + nlen + elen + clen;
    if (end > cdOffset + cdSize) {
      fail(`central directory entry ${i} at ${p} runs past the directory end`);
    }
    const name = dec.decode(b.subarray(p + 46, p + 46 + nlen));
    // ZIP64 extra field.
    let e = p + 46 + nlen;
    const eEnd = e + elen;
    while (e + 4 <= eEnd) {
      const id = f.u16(e);
      const sz = f.u16(e + 2);
      if (e + 4 + sz > eEnd) fail(`entry "${name}": extra field at ${e} runs past its end`);
      if (id === 0x0001) {
        let q = e + 4;
        const need = (what: string) => {
          if (q + 8 > e + 4 + sz) fail(`entry "${name}": ZIP64 extra field lacks the ${what}`);
        };
        if (usize === 0xffffffff) {
          need("size");
          usize = f.u64(q, `entry "${name}" size`);
          q += 8;
        }
        if (csize === 0xffffffff) {
          need("compressed size");
          csize = f.u64(q, `entry "${name}" compressed size`);
          q += 8;
        }
        if (lho === 0xffffffff) {
          need("offset");
          lho = f.u64(q, `entry "${name}" offset`);
          q += 8;
        }
        if (disk === 0xffff && q + 4 <= e + 4 + sz) disk = f.u32(q);
      }
      e += 4 + sz;
    }
    if (disk !== 0) {
      fail(`entry "${name}" lives on disk ${disk}; multi-disk archives are not supported`);
    }
    if (flags & 1) fail(`entry "${name}" is encrypted`);
    if (entries.has(name)) fail(`duplicate entry name "${name}"`);
    if (usize > opts.maxEntryBytes) {
      fail(
        `entry "${name}" declares ${usize} bytes, more than the limit ${opts.maxEntryBytes}`,
      );
    }
    if (lho + 30 > cdOffset) {
      fail(
        `entry "${name}" has its local header at ${lho}, beyond the data area (${cdOffset} bytes)`,
      );
    }
    if (method === 0 && csize !== usize) {
      fail(`stored entry "${name}" has compressed size ${csize} != size ${usize}`);
    }
    entries.set(name, {
      name,
      method,
      flags,
      compressedSize: csize,
      size: usize,
      crc32: crc,
      localHeaderOffset: lho,
    });
    p = end;
  }
  return entries;
}
