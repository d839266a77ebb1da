/**
 * Framework-free tensors: a dtype, a shape and a typed array. The common currency of the I/O modules
 * (safetensors, PyTorch checkpoints) before tensors are handed to tfjs.
 * @module
 */

/** Storage dtypes understood by the I/O modules (safetensors names). */
export type DType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

/** A typed array holding a {@link RawTensor}'s elements. I64 is kept as BigInt64Array. */
export type RawData =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

/** A dense row-major tensor, independent of any framework. F16/BF16 data are the raw uint16 bits. */
export interface RawTensor {
  dtype: DType;
  shape: number[];
  data: RawData;
}

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Record<DType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** Number of elements of a shape (1 for a 0-d shape). */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A typed array of the right kind over (a fresh, aligned copy of) `bytes`; `bytes` that span their whole buffer
 * are used as they are.
 */
export function typedArray(dtype: DType, bytes: Uint8Array): RawData {
  const buf = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes.buffer as ArrayBuffer
    : bytes.slice().buffer;
  switch (dtype) {
    case "F64":
      return new Float64Array(buf);
    case "F32":
      return new Float32Array(buf);
    case "F16":
    case "BF16":
      return new Uint16Array(buf);
    case "I64":
      return new BigInt64Array(buf);
    case "I32":
      return new Int32Array(buf);
    case "I16":
      return new Int16Array(buf);
    case "I8":
      return new Int8Array(buf);
    case "U8":
    case "BOOL":
      return new Uint8Array(buf);
  }
}

/** Decode one IEEE half-precision value given as its 16 bits. */
export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Encode a number as IEEE half precision (round to nearest even); returns the 16 bits. */
export function f32ToF16(v: number): number {
  const f32 = new Float32Array([v]);
  const x = new Uint32Array(f32.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  e = half >> 10;
  return sign | half;
}

/** Convert any numeric RawTensor's elements to a Float32Array (F16/BF16 decoded, I64 via Number). */
export function toFloat32(t: RawTensor): Float32Array {
  const n = numel(t.shape);
  const out = new Float32Array(n);
  const d = t.data;
  if (t.dtype === "F16") {
    for (let i = 0; i < n; i++) out[i] = f16ToF32((d as Uint16Array)[i]);
  } else if (t.dtype === "BF16") {
    const u = new Uint32Array(1);
    const f = new Float32Array(u.buffer);
    for (let i = 0; i < n; i++) {
      u[0] = (d as Uint16Array)[i] << 16;
      out[i] = f[0];
    }
  } else if (t.dtype === "I64") {
    for (let i = 0; i < n; i++) out[i] = Number((d as BigInt64Array)[i]);
  } else {
    for (let i = 0; i < n; i++) out[i] = Number(d[i]);
  }
  return out;
}
