/**
 * Storages: the typed byte buffers tensors view. {@link TorchStorage} describes one (key, dtype, size, location)
 * and, once the container is read, holds its bytes; {@link storageFromPid} resolves the persistent ids the object
 * pickle names storages with.
 * @module
 */
import { type DType, DTYPE_BYTES } from "../raw_tensor.ts";
import { describe, PyGlobal } from "../pickle/mod.ts";

/** Storage classes (`torch.<Name>`) and the dtype of their elements. */
export const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  HalfStorage: "F16",
  FloatStorage: "F32",
  DoubleStorage: "F64",
  BFloat16Storage: "BF16",
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
  UntypedStorage: "U8",
};

/** One storage of the checkpoint: its declared type and size, and (once read) its bytes. */
export class TorchStorage {
  /** The record's bytes (little-endian unless `bigEndian`), set when the checkpoint is read. */
  bytes?: Uint8Array;
  /** True when the record holds big-endian data (`byteorder` = `big`). */
  bigEndian = false;
  /** Bytes from the start that the checkpoint's tensors reference (only these are read). */
  usedBytes = 0;
  /** Create a storage descriptor. */
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
    readonly location: string,
  ) {}
  /** Declared size in bytes. */
  get nbytes(): number {
    return this.numel * DTYPE_BYTES[this.dtype];
  }
}

/** A persistent id resolved: a storage (with the view a legacy file may take of it), or a pickled module. */
export type ResolvedPid = { storage: TorchStorage; view?: [string, number, number] } | { module: unknown };

/**
 * Resolve a persistent id `('storage', torch.<Type>Storage, key, location, size[, view])` (or `('module', ...)`),
 * registering the storage in `storages`; a key declared twice must agree. `fail` reports a malformed id.
 */
export function storageFromPid(
  pid: unknown,
  storages: Map<string, TorchStorage>,
  fail: (w: string) => never,
): ResolvedPid {
  if (!Array.isArray(pid) || pid.length < 1) return fail(`persistent id ${describe(pid)} is not a tuple`);
  const [kind, type, key, location, size, view] = pid as unknown[];
  if (kind === "module") return { module: type };
  if (kind !== "storage") return fail(`persistent id of kind ${JSON.stringify(kind)} is not supported`);
  if (!(type instanceof PyGlobal) || type.module !== "torch") {
    return fail(`storage type ${describe(type)} is not a torch storage`);
  }
  const dtype = STORAGE_DTYPES[type.name];
  if (!dtype) return fail(`storage type torch.${type.name} is not supported`);
  if (typeof key !== "string" || !/^[A-Za-z0-9_.-]{1,200}$/.test(key)) {
    return fail(`storage key ${describe(key)} is malformed`);
  }
  const n = typeof size === "number" && Number.isSafeInteger(size) && size >= 0
    ? size
    : fail(`storage "${key}" size ${String(size)} is invalid`);
  let s = storages.get(key);
  if (!s) {
    s = new TorchStorage(key, dtype, n, typeof location === "string" ? location : String(location));
    storages.set(key, s);
  } else if (s.dtype !== dtype || s.numel !== n) {
    return fail(`storage "${key}" is declared twice with different types or sizes`);
  }
  if (Array.isArray(view)) {
    const [vkey, off, vsize] = view as unknown[];
    if (typeof vkey !== "string" || typeof off !== "number" || typeof vsize !== "number") {
      return fail("bad storage view");
    }
    return { storage: s, view: [vkey, off, vsize] };
  }
  return { storage: s };
}
