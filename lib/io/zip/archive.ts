/**
 * {@link ZipArchive}: an opened ZIP file whose central directory is read and checked up front; entry data are
 * read on demand (stored entries as views without copying, deflate entries inflated), each local header checked
 * against the file and every entry's CRC-32 verified unless turned off.
 * @module
 */
import { readCentralDirectory } from "./central_directory.ts";
import { crc32 } from "./crc32.ts";
import { SIG_LOCAL, type ZipEntry, type ZipFail, zipFailure, ZipFields, type ZipOptions } from "./format.ts";
import { inflateRaw } from "./inflate.ts";

/** An opened archive: the central directory is parsed; entry data are read on demand. */
export class ZipArchive {
  /** The file name used in error messages. */
  readonly source: string;
  /** Entries by name, in central-directory order. */
  readonly entries: Map<string, ZipEntry>;
  readonly #bytes: Uint8Array;
  readonly #fields: ZipFields;
  readonly #opts: Required<ZipOptions>;
  readonly #fail: ZipFail;

  private constructor(bytes: Uint8Array, source: string, opts: Required<ZipOptions>) {
    this.#bytes = bytes;
    this.#fail = zipFailure(source);
    this.#fields = new ZipFields(bytes, this.#fail);
    this.source = source;
    this.#opts = opts;
    this.entries = readCentralDirectory(bytes, opts, this.#fail);
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
    return new ZipArchive(bytes, source, {
      maxEntryBytes: opts.maxEntryBytes ?? 8 * 2 ** 30,
      maxEntries: opts.maxEntries ?? 1_000_000,
      verifyCrc: opts.verifyCrc ?? true,
    });
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
    if (this.#fields.u32(p) !== SIG_LOCAL) {
      this.#fail(`entry "${e.name}": bad local header signature at offset ${p}`);
    }
    const start = p + 30 + this.#fields.u16(p + 26) + this.#fields.u16(p + 28);
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

  /**
   * The decompressed bytes of an entry. Stored entries are returned as views into the file without copying.
   * With `prefix`, only the first `prefix` bytes are returned and a deflated entry is inflated no further (its
   * CRC-32 then cannot be checked).
   */
  async read(name: string, prefix?: number): Promise<Uint8Array> {
    const e = this.#entry(name);
    if (e.method === 0) return this.readSync(name).subarray(0, prefix);
    if (e.method !== 8) {
      this.#fail(
        `entry "${name}" uses compression method ${e.method}; only stored (0) and deflate (8) are supported`,
      );
    }
    const partial = prefix !== undefined && prefix < e.size;
    const out = await inflateRaw(this.#raw(e), e.size, name, this.#fail, partial ? prefix : e.size);
    if (!partial) this.#checkCrc(e, out);
    return out;
  }
}
