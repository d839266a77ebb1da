/**
 * The encodings pickle opcodes use for their arguments, decoded without loss: latin-1 Python 2 strings, `repr`
 * string literals (STRING), raw-unicode-escape (UNICODE), decimal text integers and floats (INT, LONG, FLOAT),
 * little-endian two's-complement longs (LONG1, LONG4), and the text encodings `bytes` / `_codecs.encode` accept.
 * @module
 */
import { PickleError } from "./errors.ts";

/** A function that throws a {@link PickleError} saying what is wrong and where. */
export type Fail = (what: string) => never;

/** The bytes of a string whose characters are all latin-1; throws {@link PickleError} naming `what` otherwise. */
export function latin1Bytes(s: string, what: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new PickleError(`Cannot build ${what}: character U+${c.toString(16)} is not latin-1`);
    out[i] = c;
  }
  return out;
}

/** Python 2 `str` data are decoded as latin-1 (one character per byte), which loses nothing. */
export function latin1Str(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  }
  return s;
}

/** Encode a string as `bytes(s, enc)` / `_codecs.encode(s, enc)` would (latin-1, UTF-8 and ASCII only). */
export function encode(s: string, enc: string): Uint8Array {
  const e = enc.toLowerCase().replace(/_/g, "-");
  if (e === "latin1" || e === "latin-1" || e === "iso-8859-1" || e === "iso8859-1") {
    return latin1Bytes(s, "bytes");
  }
  if (e === "utf-8" || e === "utf8" || e === "ascii") return new TextEncoder().encode(s);
  throw new PickleError(`Cannot build bytes: encoding "${enc}" is not supported`);
}

/** A `number` when the integer is safe, else the `bigint` itself. */
export function smallInt(x: bigint): number | bigint {
  return x >= -BigInt(Number.MAX_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
}

/** Decode a little-endian two's-complement integer (LONG1 / LONG4 payload). */
export function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) x -= 1n << BigInt(8 * b.length);
  return smallInt(x);
}

/** Parse the decimal integer argument of INT / LONG (a trailing Python 2 `L` allowed). */
export function parseDecimalInt(s: string, opname: string, fail: Fail): number | bigint {
  if (!/^[-+]?\d+L?$/.test(s)) fail(`${opname} argument "${s.slice(0, 40)}" is not an integer`);
  return smallInt(BigInt(s.replace(/L$/, "")));
}

/** Parse the argument of FLOAT, as Python's `float()` `repr` writes it (`inf`, `nan` included). */
export function parseFloatLiteral(text: string, fail: Fail): number {
  const s = text.trim().toLowerCase();
  const special: Record<string, number> = {
    inf: Infinity,
    "+inf": Infinity,
    "-inf": -Infinity,
    nan: NaN,
    "-nan": NaN,
  };
  const v = s in special ? special[s] : Number(s);
  if (Number.isNaN(v) && !(s in special)) fail(`FLOAT argument "${s.slice(0, 40)}" is not a number`);
  return v;
}

/** Parse a Python 2 `repr` string literal body (STRING opcode) into bytes. */
export function parseStringLiteral(s: string, fail: Fail): Uint8Array {
  if (s.length < 2 || (s[0] !== "'" && s[0] !== '"') || s[s.length - 1] !== s[0]) {
    fail("STRING argument is not a quoted string");
  }
  const body = s.slice(1, -1);
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== "\\") {
      out.push(body.charCodeAt(i) & 0xff);
      continue;
    }
    const d = body[++i];
    const simple: Record<string, number> = {
      n: 10,
      t: 9,
      r: 13,
      "\\": 92,
      "'": 39,
      '"': 34,
      a: 7,
      b: 8,
      f: 12,
      v: 11,
      "0": 0,
    };
    if (d === "x") {
      const hex = body.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) fail(`STRING has a bad \\x escape`);
      out.push(parseInt(hex, 16));
      i += 2;
    } else if (d !== undefined && /[0-7]/.test(d)) {
      let j = i;
      while (j < i + 3 && j < body.length && /[0-7]/.test(body[j])) j++;
      out.push(parseInt(body.slice(i, j), 8) & 0xff);
      i = j - 1;
    } else if (d === "\n") {
      // line continuation
    } else if (d !== undefined && d in simple) {
      out.push(simple[d]);
    } else {
      out.push(92);
      if (d !== undefined) out.push(d.charCodeAt(0) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

/** Decode Python's raw-unicode-escape (UNICODE opcode). */
export function rawUnicodeEscape(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x5c && (b[i + 1] === 0x75 || b[i + 1] === 0x55)) {
      const n = b[i + 1] === 0x75 ? 4 : 8;
      const hex = String.fromCharCode(...b.subarray(i + 2, i + 2 + n));
      if (hex.length === n && /^[0-9a-fA-F]+$/.test(hex)) {
        s += String.fromCodePoint(parseInt(hex, 16));
        i += 1 + n;
        continue;
      }
    }
    s += String.fromCharCode(b[i]);
  }
  return s;
}
