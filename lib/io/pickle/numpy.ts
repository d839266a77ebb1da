/**
 * numpy values as pickled by numpy: {@link NumpyDType} and {@link NumpyArray} (built by `_reconstruct` + BUILD or
 * `_frombuffer`), numpy scalars decoded to numbers, and conversion of arrays to row-major {@link RawTensor}s
 * (byte order and Fortran order resolved).
 * @module
 */
import { type DType, f16ToF32, numel, type RawTensor, typedArray } from "../raw_tensor.ts";
import { type Fail, latin1Bytes, smallInt } from "./codecs.ts";
import { PickleError } from "./errors.ts";
import { describe } from "./values.ts";

/** A numpy dtype (`numpy.dtype(descr)` plus the byte order from its state). */
export class NumpyDType {
  /** Byte order: `<` little, `>` big, `|` not applicable, `=` native (little). */
  byteorder = "=";
  /** Field names, set for structured dtypes (which are not decoded). */
  structured = false;
  /** Create a dtype from its descriptor string, e.g. `f8`. */
  constructor(readonly descr: string) {
    if (/^[<>|=]/.test(descr)) {
      this.byteorder = descr[0];
      this.descr = descr.slice(1);
    }
  }
  /** Kind letter and item size, e.g. `["f", 8]`; size 0 for unsized kinds. */
  get kindSize(): [string, number] {
    const m = /^([a-zA-Z?])(\d*)$/.exec(this.descr);
    if (!m) return [this.descr, 0];
    const kind = m[1] === "?" ? "b" : m[1];
    return [kind, m[2] ? Number(m[2]) : kind === "b" ? 1 : 0];
  }
  /** The matching tensor dtype, if there is one. */
  get dtype(): DType | undefined {
    const [k, n] = this.kindSize;
    const table: Record<string, DType> = {
      f2: "F16",
      f4: "F32",
      f8: "F64",
      i1: "I8",
      i2: "I16",
      i4: "I32",
      i8: "I64",
      u1: "U8",
      b1: "BOOL",
    };
    return this.structured ? undefined : table[`${k}${n}`];
  }
  /** True for big-endian data. */
  get bigEndian(): boolean {
    return this.byteorder === ">";
  }
}

/** A numpy array (`numpy.core.multiarray._reconstruct` + BUILD, or `_frombuffer`). */
export class NumpyArray {
  /** Element dtype (set by BUILD). */
  dtype?: NumpyDType;
  /** Shape (set by BUILD). */
  shape: number[] = [];
  /** True when the data are in Fortran (column-major) order. */
  fortran = false;
  /** Raw element bytes, or the elements themselves for object arrays. */
  data: Uint8Array | unknown[] = new Uint8Array(0);

  /** Convert to a row-major {@link RawTensor}; throws for dtypes a RawTensor cannot hold. */
  toRawTensor(): RawTensor {
    const dt = this.dtype?.dtype;
    if (!this.dtype || !dt || !(this.data instanceof Uint8Array)) {
      throw new PickleError(
        `Cannot convert numpy array: dtype "${this.dtype?.descr ?? "?"}" is not supported`,
      );
    }
    const size = this.dtype.kindSize[1];
    const n = numel(this.shape);
    if (this.data.length !== n * size) {
      throw new PickleError(
        `Cannot convert numpy array: ${this.dtype.descr}[${this.shape}] needs ${
          n * size
        } bytes, has ${this.data.length}`,
      );
    }
    let bytes: Uint8Array = this.data.slice();
    if (this.dtype.bigEndian && size > 1) swapBytes(bytes, size);
    if (this.fortran && this.shape.length > 1) bytes = fortranToC(bytes, this.shape, size);
    return { dtype: dt, shape: [...this.shape], data: typedArray(dt, bytes) };
  }
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i + size <= b.length; i += size) {
    for (let j = 0; j < size >> 1; j++) {
      const t = b[i + j];
      b[i + j] = b[i + size - 1 - j];
      b[i + size - 1 - j] = t;
    }
  }
}

function fortranToC(src: Uint8Array, shape: number[], size: number): Uint8Array {
  const out = new Uint8Array(src.length);
  const nd = shape.length;
  const n = numel(shape);
  const fstride = new Array<number>(nd);
  let s = 1;
  for (let d = 0; d < nd; d++) {
    fstride[d] = s;
    s *= shape[d];
  }
  const idx = new Array<number>(nd).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let d = 0; d < nd; d++) off += idx[d] * fstride[d];
    out.set(src.subarray(off * size, off * size + size), i * size);
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** The value of a numpy scalar of dtype `dt` from its raw bytes; `undefined` for kinds that are not decoded. */
export function decodeScalar(dt: NumpyDType, raw: Uint8Array): unknown {
  const [k, n] = dt.kindSize;
  if (raw.length !== n) {
    throw new PickleError(`Cannot build numpy scalar of dtype "${dt.descr}" from ${raw.length} bytes`);
  }
  const b = raw.slice();
  if (dt.bigEndian) swapBytes(b, n);
  const v = new DataView(b.buffer);
  switch (`${k}${n}`) {
    case "f2":
      return f16ToF32(v.getUint16(0, true));
    case "f4":
      return v.getFloat32(0, true);
    case "f8":
      return v.getFloat64(0, true);
    case "i1":
      return v.getInt8(0);
    case "i2":
      return v.getInt16(0, true);
    case "i4":
      return v.getInt32(0, true);
    case "i8":
      return smallInt(v.getBigInt64(0, true));
    case "u1":
      return v.getUint8(0);
    case "u2":
      return v.getUint16(0, true);
    case "u4":
      return v.getUint32(0, true);
    case "u8":
      return smallInt(v.getBigUint64(0, true));
    case "b1":
      return v.getUint8(0) !== 0;
  }
  return undefined;
}

/** Apply a BUILD state (`(version, shape, dtype, is_fortran, data)`) to an array made by `_reconstruct`. */
export function buildNumpyArray(a: NumpyArray, state: unknown, fail: Fail): void {
  if (!Array.isArray(state) || (state.length !== 5 && state.length !== 4)) {
    fail(`bad numpy array state ${describe(state)}`);
  }
  const s = state as unknown[];
  const [shape, dt, fortran, raw] = s.length === 5 ? s.slice(1) : s;
  if (!Array.isArray(shape)) fail("numpy array shape is not a tuple");
  if (!(dt instanceof NumpyDType)) fail(`numpy array dtype is ${describe(dt)}`);
  a.shape = (shape as unknown[]).map((x) => {
    if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0) fail(`bad numpy dimension ${String(x)}`);
    return x as number;
  });
  a.dtype = dt as NumpyDType;
  a.fortran = fortran === true || fortran === 1;
  if (raw instanceof Uint8Array) a.data = raw;
  else if (typeof raw === "string") a.data = latin1Bytes(raw, "numpy array");
  else if (Array.isArray(raw)) a.data = raw;
  else fail(`numpy array data are ${describe(raw)}`);
}

/**
 * Apply a BUILD state (`(version, byteorder, subarray, names, ...)`) to a dtype: its byte order, and whether it
 * is structured.
 */
export function buildNumpyDType(dt: NumpyDType, state: unknown): void {
  if (Array.isArray(state) && typeof state[1] === "string") dt.byteorder = state[1];
  if (Array.isArray(state) && state[3] !== null && state[3] !== undefined) dt.structured = true;
}
