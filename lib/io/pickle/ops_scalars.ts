/**
 * Opcodes that push one scalar: None and booleans, integers (BININT*, LONG1, LONG4, INT, LONG), floats (BINFLOAT,
 * FLOAT), text (BINUNICODE*, UNICODE, Python 2 BINSTRING / SHORT_BINSTRING / STRING) and bytes (BINBYTES*,
 * BYTEARRAY8; out-of-band buffers are refused). Every declared length is checked before anything is allocated.
 * @module
 */
import {
  decodeLong,
  latin1Bytes,
  latin1Str,
  parseDecimalInt,
  parseFloatLiteral,
  parseStringLiteral,
  rawUnicodeEscape,
} from "./codecs.ts";
import type { OpTable } from "./opcodes.ts";

const utf8 = new TextDecoder("utf-8");

/** Scalar opcodes. */
export const SCALAR_OPS = {
  NONE: (m) => m.stack.push(null),
  NEWTRUE: (m) => m.stack.push(true),
  NEWFALSE: (m) => m.stack.push(false),
  BININT: (m) => m.stack.push(m.i32()),
  BININT1: (m) => m.stack.push(m.u8()),
  BININT2: (m) => m.stack.push(m.u16()),
  LONG1: (m) => m.stack.push(decodeLong(m.take(m.u8(), "LONG1"))),
  LONG4: (m) => {
    const n = m.i32();
    if (n < 0) m.fail(`LONG4 declares a negative length ${n}`);
    if (n > 65536) m.fail(`LONG4 of ${n} bytes is larger than any integer a checkpoint holds (limit 65536)`);
    m.stack.push(decodeLong(m.take(n, "LONG4")));
  },
  BINFLOAT: (m) => m.stack.push(m.f64be()),
  INT: (m) => {
    const s = m.line().trim();
    m.stack.push(s === "00" ? false : s === "01" ? true : parseDecimalInt(s, "INT", m.fail));
  },
  LONG: (m) => m.stack.push(parseDecimalInt(m.line().trim(), "LONG", m.fail)),
  FLOAT: (m) => m.stack.push(parseFloatLiteral(m.line(), m.fail)),
  BINUNICODE: (m) => m.stack.push(utf8.decode(m.take(m.u32(), "BINUNICODE"))),
  SHORT_BINUNICODE: (m) => m.stack.push(utf8.decode(m.take(m.u8(), "SHORT_BINUNICODE"))),
  BINUNICODE8: (m) => m.stack.push(utf8.decode(m.take(m.u64(), "BINUNICODE8"))),
  UNICODE: (m) => m.stack.push(rawUnicodeEscape(latin1Bytes(m.line(), "UNICODE"))),
  BINSTRING: (m) => {
    const n = m.i32();
    if (n < 0) m.fail(`BINSTRING declares a negative length ${n}`);
    m.stack.push(latin1Str(m.take(n, "BINSTRING")));
  },
  SHORT_BINSTRING: (m) => m.stack.push(latin1Str(m.take(m.u8(), "SHORT_BINSTRING"))),
  STRING: (m) => m.stack.push(latin1Str(parseStringLiteral(m.line(), m.fail))),
  BINBYTES: (m) => m.stack.push(m.take(m.u32(), "BINBYTES").slice()),
  SHORT_BINBYTES: (m) => m.stack.push(m.take(m.u8(), "SHORT_BINBYTES").slice()),
  BINBYTES8: (m) => m.stack.push(m.take(m.u64(), "BINBYTES8").slice()),
  BYTEARRAY8: (m) => m.stack.push(m.take(m.u64(), "BYTEARRAY8").slice()),
  NEXT_BUFFER: (m) => m.fail("out-of-band buffers (NEXT_BUFFER) are not supported"),
  READONLY_BUFFER: () => {}, // no-op on in-band data
} satisfies OpTable;
