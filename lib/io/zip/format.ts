/**
 * The ZIP format as this reader knows it: record signatures, the entry and option types, {@link ZipError}, the
 * {@link isZip} sniff, and little-endian field access that refuses 64-bit values beyond 2^53.
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

/** Signature of a local file header. */
export const SIG_LOCAL = 0x04034b50;
/** Signature of a central-directory entry. */
export const SIG_CENTRAL = 0x02014b50;
/** Signature of an end-of-central-directory record. */
export const SIG_EOCD = 0x06054b50;
/** Signature of a ZIP64 end-of-central-directory record. */
export const SIG_ZIP64_EOCD = 0x06064b50;
/** Signature of a ZIP64 end-record locator. */
export const SIG_ZIP64_LOCATOR = 0x07064b50;

/** True when the bytes start like a ZIP archive (a local file header or an empty archive's end record). */
export function isZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const sig = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24);
  return (sig >>> 0) === SIG_LOCAL || (sig >>> 0) === SIG_EOCD;
}

/** A function that throws a {@link ZipError} `Cannot read zip archive <source>: <what>`. */
export type ZipFail = (what: string) => never;

/** The {@link ZipFail} of one archive. */
export function zipFailure(source: string): ZipFail {
  return (what) => {
    throw new ZipError(`Cannot read zip archive ${source}: ${what}`);
  };
}

/** Little-endian fields of a ZIP file (offsets are trusted: callers check them against the file first). */
export class ZipFields {
  readonly #view: DataView;
  /** Read fields of `bytes`; `fail` reports 64-bit values too large for a number. */
  constructor(bytes: Uint8Array, readonly fail: ZipFail) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  /** The uint16 at `off`. */
  u16(off: number): number {
    return this.#view.getUint16(off, true);
  }
  /** The uint32 at `off`. */
  u32(off: number): number {
    return this.#view.getUint32(off, true);
  }
  /** The uint64 at `off`, which must be a safe integer; `what` names it in the error. */
  u64(off: number, what: string): number {
    const v = this.#view.getBigUint64(off, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} ${v} is too large`);
    return Number(v);
  }
}
