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
 * import { ZipArchive } from "./zip_reader.ts";
 * const zip = ZipArchive.open(await Deno.readFile("model.pt"), "model.pt");
 * const pkl = await zip.read(zip.names().find((n) => n.endsWith("/data.pkl"))!);
 * ```
 * @module
 */

/** A structural problem with a ZIP file; the message names the file and what is wrong. */
export class ZipError extends SyntaxError {
  /** Create the error. */
  constructor(message: string) {
    super(message);
    this.name = "ZipError";
  }
}

/** One file of the archive, as described by its central-directory record. */
export interface ZipEntry {
  /** Full path inside the archive (UTF-8 decoded). */
  name: string;
  /** Compression method: 0 stored, 8 deflate. */
  method: number;
  /** General-purpose flags of the central-directory record. */
  flags: number;
  /** Bytes of compressed data. */
  compressedSize: number;
  /** Bytes after decompression. */
  size: number;
  /** CRC-32 of the decompressed bytes. */
  crc32: number;
  /** Offset of the local file header. */
  localHeaderOffset: number;
}

/** Limits and checks applied when opening and reading an archive. */
export interface ZipOptions {
  /** Largest declared uncompressed size of one entry that is accepted (default 8 GiB). */
  maxEntryBytes?: number;
  /** Largest number of entries accepted (default 1,000,000). */
  maxEntries?: number;
  /** Verify CRC-32 of every entry read (default true). */
  verifyCrc?: boolean;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;

/** True when the bytes start like a ZIP archive (a local file header or an empty archive's end record). */
export function isZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const sig = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24);
  return (sig >>> 0) === SIG_LOCAL || (sig >>> 0) === SIG_EOCD;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as used by ZIP) of some bytes. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const t = crcTable;
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** An opened archive: the central directory is parsed; entry data are read on demand. */
export class ZipArchive {
  /** The file name used in error messages. */
  readonly source: string;
  /** Entries by name, in central-directory order. */
  readonly entries: Map<string, ZipEntry>;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #opts: Required<ZipOptions>;

  private constructor(bytes: Uint8Array, source: string, opts: Required<ZipOptions>) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.source = source;
    this.#opts = opts;
    this.entries = new Map();
  }

  /**
   * Parse the central directory of `bytes`. Throws {@link ZipError} on any structural problem.
   *
   * @param bytes The whole file.
   * @param source The file name, for error messages.
   * @param opts Limits; see {@link ZipOptions}.
   * @returns The opened archive.
   */
  static open(bytes: Uint8Array, source = "<bytes>", opts: ZipOptions = {}): ZipArchive {
    const zip = new ZipArchive(bytes, source, {
      maxEntryBytes: opts.maxEntryBytes ?? 8 * 2 ** 30,
      maxEntries: opts.maxEntries ?? 1_000_000,
      verifyCrc: opts.verifyCrc ?? true,
    });
    zip.#parse();
    return zip;
  }

  #fail(what: string): never {
    throw new ZipError(`Cannot read zip archive ${this.source}: ${what}`);
  }

  #u16(off: number): number {
    return this.#view.getUint16(off, true);
  }
  #u32(off: number): number {
    return this.#view.getUint32(off, true);
  }
  #u64(off: number, what: string): number {
    const v = this.#view.getBigUint64(off, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.#fail(`${what} ${v} is too large`);
    return Number(v);
  }

  #parse(): void {
    const b = this.#bytes;
    const n = b.length;
    if (n < 22) {
      this.#fail(
        n >= 4 && isZip(b)
          ? `file is truncated (${n} bytes, no end-of-central-directory record)`
          : `not a zip file (${n} bytes)`,
      );
    }
    if (!isZip(b)) {
      const head = [...b.subarray(0, 4)].map((x) => x.toString(16).padStart(2, "0")).join(" ");
      this.#fail(`wrong magic ${head} at offset 0 (expected 50 4b 03 04, a zip local file header)`);
    }
    // Find the end-of-central-directory record: last occurrence within the final 22 + 65535 bytes.
    let eocd = -1;
    for (let p = n - 22; p >= Math.max(0, n - 22 - 65535); p--) {
      if (
        b[p] === 0x50 && b[p + 1] === 0x4b && b[p + 2] === 0x05 && b[p + 3] === 0x06 &&
        p + 22 + this.#u16(p + 20) <= n
      ) {
        eocd = p;
        break;
      }
    }
    if (eocd < 0) {
      this.#fail(
        `no end-of-central-directory record in the last ${Math.min(n, 65557)} bytes (file truncated?)`,
      );
    }
    const diskNo = this.#u16(eocd + 4);
    const cdDisk = this.#u16(eocd + 6);
    let count = this.#u16(eocd + 10);
    let cdSize = this.#u32(eocd + 12);
    let cdOffset = this.#u32(eocd + 16);
    let cdEnd = eocd;
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || this.#u32(loc) !== SIG_ZIP64_LOCATOR) {
        this.#fail(`ZIP64 markers in the end record at ${eocd} but no ZIP64 locator`);
      }
      const rec = this.#u64(loc + 8, "ZIP64 end record offset");
      if (rec + 56 > loc || this.#u32(rec) !== SIG_ZIP64_EOCD) {
        this.#fail(`ZIP64 end record at ${rec} is missing or out of range`);
      }
      count = this.#u64(rec + 32, "ZIP64 entry count");
      cdSize = this.#u64(rec + 40, "ZIP64 central directory size");
      cdOffset = this.#u64(rec + 48, "ZIP64 central directory offset");
      cdEnd = rec;
    }
    if (diskNo !== 0 || cdDisk !== 0) this.#fail("multi-disk archives are not supported");
    if (cdOffset + cdSize > cdEnd) {
      this.#fail(
        `central directory [${cdOffset}, ${
          cdOffset + cdSize
        }) reaches past its end record at ${cdEnd} (file truncated?)`,
      );
    }
    if (count > this.#opts.maxEntries) {
      this.#fail(`declares ${count} entries, more than the limit ${this.#opts.maxEntries}`);
    }
    if (count * 46 > cdSize) {
      this.#fail(`declares ${count} entries but the central directory has only ${cdSize} bytes`);
    }
    const dec = new TextDecoder();
    let p = cdOffset;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cdOffset + cdSize) {
        this.#fail(`central directory entry ${i} at ${p} runs past the directory end`);
      }
      if (this.#u32(p) !== SIG_CENTRAL) {
        this.#fail(`bad central directory signature at offset ${p} (entry ${i})`);
      }
      const flags = this.#u16(p + 8);
      const method = this.#u16(p + 10);
      const crc = this.#u32(p + 16);
      let csize = this.#u32(p + 20);
      let usize = this.#u32(p + 24);
      const nlen = this.#u16(p + 28);
      const elen = this.#u16(p + 30);
      const clen = this.#u16(p + 32);
      let disk = this.#u16(p + 34);
      let lho = this.#u32(p + 42);
      const end = p + 46 + nlen + elen + clen;
      if (end > cdOffset + cdSize) {
        this.#fail(`central directory entry ${i} at ${p} runs past the directory end`);
      }
      const name = dec.decode(b.subarray(p + 46, p + 46 + nlen));
      // ZIP64 extra field.
      let e = p + 46 + nlen;
      const eEnd = e + elen;
      while (e + 4 <= eEnd) {
        const id = this.#u16(e);
        const sz = this.#u16(e + 2);
        if (e + 4 + sz > eEnd) this.#fail(`entry "${name}": extra field at ${e} runs past its end`);
        if (id === 0x0001) {
          let q = e + 4;
          const need = (what: string) => {
            if (q + 8 > e + 4 + sz) this.#fail(`entry "${name}": ZIP64 extra field lacks the ${what}`);
          };
          if (usize === 0xffffffff) {
            need("size");
            usize = this.#u64(q, `entry "${name}" size`);
            q += 8;
          }
          if (csize === 0xffffffff) {
            need("compressed size");
            csize = this.#u64(q, `entry "${name}" compressed size`);
            q += 8;
          }
          if (lho === 0xffffffff) {
            need("offset");
            lho = this.#u64(q, `entry "${name}" offset`);
            q += 8;
          }
          if (disk === 0xffff && q + 4 <= e + 4 + sz) disk = this.#u32(q);
        }
        e += 4 + sz;
      }
      if (disk !== 0) {
        this.#fail(`entry "${name}" lives on disk ${disk}; multi-disk archives are not supported`);
      }
      if (flags & 1) this.#fail(`entry "${name}" is encrypted`);
      if (this.entries.has(name)) this.#fail(`duplicate entry name "${name}"`);
      if (usize > this.#opts.maxEntryBytes) {
        this.#fail(
          `entry "${name}" declares ${usize} bytes, more than the limit ${this.#opts.maxEntryBytes}`,
        );
      }
      if (lho + 30 > cdOffset) {
        this.#fail(
          `entry "${name}" has its local header at ${lho}, beyond the data area (${cdOffset} bytes)`,
        );
      }
      if (method === 0 && csize !== usize) {
        this.#fail(`stored entry "${name}" has compressed size ${csize} != size ${usize}`);
      }
      this.entries.set(name, {
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
  }

  /** Entry names in central-directory order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** True when the archive has an entry of that name. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  #entry(name: string): ZipEntry {
    const e = this.entries.get(name);
    if (!e) this.#fail(`no entry "${name}"`);
    return e;
  }

  /** The compressed bytes of an entry (a view into the file), after checking the local header. */
  #raw(e: ZipEntry): Uint8Array {
    const p = e.localHeaderOffset;
    if (this.#u32(p) !== SIG_LOCAL) {
      this.#fail(`entry "${e.name}": bad local header signature at offset ${p}`);
    }
    const start = p + 30 + this.#u16(p + 26) + this.#u16(p + 28);
    if (start + e.compressedSize > this.#bytes.length) {
      this.#fail(
        `entry "${e.name}" data [${start}, ${
          start + e.compressedSize
        }) reach past the end of the file (${this.#bytes.length} bytes; truncated?)`,
      );
    }
    return this.#bytes.subarray(start, start + e.compressedSize);
  }

  #checkCrc(e: ZipEntry, data: Uint8Array): void {
    if (!this.#opts.verifyCrc) return;
    const c = crc32(data);
    if (c !== e.crc32) {
      this.#fail(
        `entry "${e.name}" is corrupt: CRC-32 ${c.toString(16).padStart(8, "0")} != recorded ${
          e.crc32.toString(16).padStart(8, "0")
        }`,
      );
    }
  }

  /**
   * The bytes of a stored (uncompressed) entry, as a view into the file without copying. Throws for compressed entries;
   * use {@link ZipArchive.read} for those.
   */
  readSync(name: string): Uint8Array {
    const e = this.#entry(name);
    if (e.method !== 0) {
      this.#fail(`entry "${name}" is compressed (method ${e.method}); read it asynchronously`);
    }
    const data = this.#raw(e);
    this.#checkCrc(e, data);
    return data;
  }

  /** The decompressed bytes of an entry. Stored entries are returned as views into the file without copying. */
  async read(name: string): Promise<Uint8Array> {
    const e = this.#entry(name);
    if (e.method === 0) return this.readSync(name);
    if (e.method !== 8) {
      this.#fail(
        `entry "${name}" uses compression method ${e.method}; only stored (0) and deflate (8) are supported`,
      );
    }
    const raw = this.#raw(e);
    const out = new Uint8Array(e.size);
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
          this.#fail(`entry "${name}": deflate data are corrupt or truncated (${(err as Error).message})`);
        }
        if (chunk.done) break;
        if (filled + chunk.value.length > e.size) {
          this.#fail(`entry "${name}" inflates to more than its declared ${e.size} bytes`);
        }
        out.set(chunk.value, filled);
        filled += chunk.value.length;
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
    if (filled !== e.size) this.#fail(`entry "${name}" inflates to ${filled} bytes, declared ${e.size}`);
    this.#checkCrc(e, out);
    return out;
  }
}
