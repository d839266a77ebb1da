/**
 * Writing Python pickles (protocol 2) of plain data, with only the opcodes that PyTorch's `weights_only`
 * unpickler (torch 1.13 `_weights_only_unpickler.py`) accepts: None, bools, ints, strings, tuples, lists, dicts,
 * calls of named globals (`GLOBAL` + `REDUCE`) and persistent ids (`BINPERSID`, for tensor storages). Floats are
 * refused: that unpickler has no `BINFLOAT` (store a float as a 0-d tensor instead).
 *
 * @example
 * ```ts
 * const bytes = pickleValue(new Map([["epoch", 3]])); // {'epoch': 3}
 * ```
 * @module
 */

/** A call `module.name(*args)` in the pickle (a rebuild function or a class). */
export class PickleCall {
  constructor(readonly module: string, readonly name: string, readonly args: PickleValue[]) {}
}

/** A Python global by name (e.g. a storage class), not called. */
export class PickleGlobal {
  constructor(readonly module: string, readonly name: string) {}
}

/** A tuple (JavaScript arrays are lists). */
export class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}

/** A `collections.OrderedDict` (what `state_dict()` returns). */
export class PickleOrderedDict {
  constructor(readonly items: Map<string, PickleValue>) {}
}

/** A persistent id: the unpickler's `persistent_load(id)` supplies the object (a storage). */
export class PicklePersistent {
  constructor(readonly id: PickleValue) {}
}

/** Values that can be pickled here; `Map` is a dict (insertion order), integers must be safe integers. */
export type PickleValue =
  | null
  | boolean
  | number
  | string
  | PickleValue[]
  | Map<string, PickleValue>
  | PickleTuple
  | PickleCall
  | PickleGlobal
  | PickleOrderedDict
  | PicklePersistent;

class Out {
  private buf = new Uint8Array(1 << 12);
  length = 0;

  private grow(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(...bs: number[]): void {
    this.grow(bs.length);
    for (const b of bs) this.buf[this.length++] = b;
  }
  bytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  u32(v: number): void {
    this.byte(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const OP = {
  PROTO: 0x80,
  STOP: 0x2e,
  NONE: 0x4e,
  TRUE: 0x88,
  FALSE: 0x89,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  LONG1: 0x8a,
  BINUNICODE: 0x58,
  EMPTY_TUPLE: 0x29,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  MARK: 0x28,
  TUPLE: 0x74,
  EMPTY_LIST: 0x5d,
  APPENDS: 0x65,
  EMPTY_DICT: 0x7d,
  SETITEMS: 0x75,
  GLOBAL: 0x63,
  REDUCE: 0x52,
  BINPERSID: 0x51,
} as const;

function int(o: Out, v: number): void {
  if (!Number.isSafeInteger(v)) {
    throw new TypeError(
      `Cannot pickle ${v}: only safe integers (the weights_only unpickler reads no floats)`,
    );
  }
  if (v >= 0 && v < 256) return o.byte(OP.BININT1, v);
  if (v >= 0 && v < 65536) return o.byte(OP.BININT2, v & 0xff, v >>> 8);
  if (v >= -(2 ** 31) && v < 2 ** 31) {
    o.byte(OP.BININT);
    return o.u32(v >>> 0);
  }
  // LONG1: little-endian two's complement, as short as possible.
  let x = BigInt(v);
  const bytes: number[] = [];
  do {
    bytes.push(Number(x & 0xffn));
    x >>= 8n;
  } while (!((x === 0n && bytes[bytes.length - 1] < 0x80) || (x === -1n && bytes[bytes.length - 1] >= 0x80)));
  o.byte(OP.LONG1, bytes.length, ...bytes);
}

function str(o: Out, s: string): void {
  const b = new TextEncoder().encode(s);
  o.byte(OP.BINUNICODE);
  o.u32(b.length);
  o.bytes(b);
}

function tuple(o: Out, items: PickleValue[]): void {
  if (items.length === 0) return o.byte(OP.EMPTY_TUPLE);
  if (items.length <= 3) {
    items.forEach((v) => value(o, v));
    return o.byte([OP.TUPLE1, OP.TUPLE2, OP.TUPLE3][items.length - 1]);
  }
  o.byte(OP.MARK);
  items.forEach((v) => value(o, v));
  o.byte(OP.TUPLE);
}

function global(o: Out, module: string, name: string): void {
  if (/[\n]/.test(module + name)) {
    throw new TypeError(`Cannot pickle global ${module}.${name}: newline in the name`);
  }
  o.byte(OP.GLOBAL);
  o.bytes(new TextEncoder().encode(`${module}\n${name}\n`));
}

function value(o: Out, v: PickleValue): void {
  if (v === null) return o.byte(OP.NONE);
  if (v === true) return o.byte(OP.TRUE);
  if (v === false) return o.byte(OP.FALSE);
  if (typeof v === "number") return int(o, v);
  if (typeof v === "string") return str(o, v);
  if (Array.isArray(v)) {
    o.byte(OP.EMPTY_LIST);
    if (v.length) {
      o.byte(OP.MARK);
      v.forEach((x) => value(o, x));
      o.byte(OP.APPENDS);
    }
    return;
  }
  if (v instanceof Map || v instanceof PickleOrderedDict) {
    const items = v instanceof Map ? v : v.items;
    if (v instanceof Map) o.byte(OP.EMPTY_DICT);
    else {
      global(o, "collections", "OrderedDict");
      o.byte(OP.EMPTY_TUPLE, OP.REDUCE);
    }
    if (items.size) {
      o.byte(OP.MARK);
      for (const [k, x] of items) {
        str(o, k);
        value(o, x);
      }
      o.byte(OP.SETITEMS);
    }
    return;
  }
  if (v instanceof PickleTuple) return tuple(o, v.items);
  if (v instanceof PickleGlobal) return global(o, v.module, v.name);
  if (v instanceof PickleCall) {
    global(o, v.module, v.name);
    tuple(o, v.args);
    return o.byte(OP.REDUCE);
  }
  if (v instanceof PicklePersistent) {
    value(o, v.id);
    return o.byte(OP.BINPERSID);
  }
  throw new TypeError(`Cannot pickle ${Object.prototype.toString.call(v)}`);
}

/** Pickle `v` (protocol 2). */
export function pickleValue(v: PickleValue): Uint8Array {
  const o = new Out();
  o.byte(OP.PROTO, 2);
  value(o, v);
  o.byte(OP.STOP);
  return o.result();
}
