/**
 * A safe interpreter for Python pickles (protocols 0 to 5) that builds inert data only.
 *
 * Nothing from the pickle is ever called, evaluated or imported. Every global the pickle names (GLOBAL, STACK_GLOBAL,
 * INST) goes through one policy, {@link checkGlobal}, at the moment it is loaded:
 *
 * 1. **Refused**: any global one of whose dotted components is on the deny-list ({@link DENIED_COMPONENTS}: `os`,
 *    `posix`, `nt`, `subprocess`, `sys`, `shutil`, `socket`, `importlib`, `pickle`, `runpy`, `code`, `eval`, `exec`,
 *    `compile`, `getattr`, `__import__`, `system`, `popen`, `load`, `webbrowser`, ...); any `builtins` / `__builtin__`
 *    name except the inert container and value types ({@link INERT_BUILTINS}: `set`, `frozenset`, `list`, `dict`, ...);
 *    any malformed name; and any global whose module is not on the allow-list. Refusal throws
 *    {@link UnsafeGlobalError}, whose message and `global` property name the global.
 * 2. **Handled**: a few well-known globals produce plain values: `collections.OrderedDict` / `defaultdict` /
 *    `Counter` -> `Map`, `builtins.set` / `frozenset` -> `Set`, `_codecs.encode` and `builtins.bytes` / `bytearray` ->
 *    `Uint8Array`, `copyreg._reconstructor` -> a record of the class, numpy scalars -> numbers, numpy arrays and
 *    dtypes -> {@link NumpyArray} / {@link NumpyDType}. Callers add more with `handlers` (the torch checkpoint reader
 *    adds tensor rebuilding this way); handlers are plain TypeScript functions of this project, never file content.
 * 3. **Records**: any other global from an allow-listed module ({@link DEFAULT_ALLOWED_MODULES}: `models.*`,
 *    `utils.*`, `torch.*`, `collections`, `numpy.*`, `argparse`, `pathlib`, `datetime`, `__main__`, `ultralytics.*`,
 *    ... plus `allowModules`) is loaded as an inert {@link PyGlobal}; calling it (REDUCE, NEWOBJ, NEWOBJ_EX, INST,
 *    OBJ) makes an inert {@link PyObject} record of module, name, args and (after BUILD) state. A model object
 *    pickled whole thus becomes a tree of records whose `state` maps hold `_modules`, `_parameters`, ...
 *
 * Python values map to: None -> `null`, bool -> `boolean`, int -> `number` (or `bigint` beyond 2^53), float ->
 * `number`, str -> `string`, bytes / bytearray -> `Uint8Array`, tuple and list -> `Array`, dict -> `Map` (keys
 * kept as they are, in order), set / frozenset -> `Set`.
 *
 * Every length read from the file is checked against the bytes that remain before anything is allocated, so a
 * declared size beyond the file, a truncated stream, an unknown opcode or a stack underflow gives a
 * {@link PickleError} saying what is wrong and at which byte.
 *
 * @example Usage
 * ```ts
 * import { unpickle } from "./pickle.ts";
 * // pickle.dumps({"a": [1, 2.5, None]}, protocol=2)
 * const bytes = new Uint8Array([0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x71, 1, 0x5d, 0x71, 2, 0x28,
 *   0x4b, 1, 0x47, 0x40, 4, 0, 0, 0, 0, 0, 0, 0x4e, 0x65, 0x73, 0x2e]);
 * const value = unpickle(bytes) as Map<string, unknown>;
 * console.log(value.get("a")); // [1, 2.5, null]
 * ```
 * @module
 */
import type { DType, RawData, RawTensor } from "./raw_tensor.ts";

/** A pickle that is malformed, truncated or uses something this interpreter does not support. */
export class PickleError extends SyntaxError {
  /** Create the error. */
  constructor(message: string) {
    super(message);
    this.name = "PickleError";
  }
}

/** A pickle that names a global the safety policy refuses; `global` is `module.name`. */
export class UnsafeGlobalError extends PickleError {
  /** The refused global as `module.name`. */
  readonly global: string;
  /** Create the error. */
  constructor(global: string, message: string) {
    super(message);
    this.name = "UnsafeGlobalError";
    this.global = global;
  }
}

/** An inert reference to a Python global (a class or function), loaded but never resolved or called. */
export class PyGlobal {
  /** Create a reference. */
  constructor(readonly module: string, readonly name: string) {}
  /** `module.name`. */
  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
  /** `module.name`. */
  toString(): string {
    return this.qualname;
  }
}

/** How a {@link PyObject} record was created. */
export type PyObjectVia = "reduce" | "newobj" | "newobj_ex" | "inst" | "reconstructor";

/**
 * An inert record of a Python object whose class was not handled: what the pickle asked for (the class, the
 * constructor arguments) and the state it set, nothing more.
 */
export class PyObject {
  /** Keyword arguments of NEWOBJ_EX / `__newobj_ex__`, if any. */
  kwargs?: Map<unknown, unknown>;
  /** The state given by BUILD (usually a `Map` of attribute names to values), or `undefined`. */
  state: unknown = undefined;
  /** Items added by SETITEM(S) when the object is a dict subclass. */
  dictItems?: Map<unknown, unknown>;
  /** Items added by APPEND(S) / ADDITEMS when the object is a list or set subclass. */
  listItems?: unknown[];

  /** Create a record. */
  constructor(
    readonly module: string,
    readonly name: string,
    readonly args: unknown[],
    readonly via: PyObjectVia,
  ) {}

  /** `module.name` of the record's class. */
  get qualname(): string {
    return `${this.module}.${this.name}`;
  }

  /** The attributes map of the state (the `__dict__` part of `(dict, slots)` states too), if any. */
  get attrs(): Map<unknown, unknown> | undefined {
    const s = this.state;
    if (s instanceof Map) return s;
    if (Array.isArray(s) && s.length === 2) {
      const [d, slots] = s;
      if (d instanceof Map && slots instanceof Map) return new Map([...d, ...slots]);
      if (d instanceof Map) return d;
      if (slots instanceof Map) return slots;
    }
    return undefined;
  }

  /** One attribute from the state (`undefined` when absent). */
  get(attr: string): unknown {
    return this.attrs?.get(attr);
  }
}

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
    const n = this.shape.reduce((a, b) => a * b, 1);
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

/** A global handler: builds a value from the arguments of REDUCE / NEWOBJ / NEWOBJ_EX / INST / OBJ. */
export type GlobalHandler = (args: unknown[], kwargs?: Map<unknown, unknown>) => unknown;

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /** Start offset in `bytes` (default 0). */
  offset?: number;
  /** A name for error messages (e.g. `model.pt:archive/data.pkl`). */
  source?: string;
  /** Resolves persistent ids (PERSID / BINPERSID); without it, a persistent id is an error. */
  persistentLoad?: (pid: unknown) => unknown;
  /** Extra handlers by `module.name`; they take precedence over the defaults (the deny-list still applies). */
  handlers?: Record<string, GlobalHandler>;
  /** Extra module names whose globals (and submodules' globals) become inert records. */
  allowModules?: readonly string[];
}

/** The result of {@link unpickleAt}. */
export interface UnpickleResult {
  /** The unpickled value. */
  value: unknown;
  /** Offset just past the STOP opcode. */
  end: number;
  /** Protocol announced by PROTO (0 when absent). */
  protocol: number;
  /** Every global the pickle loaded, as `module.name`, in first-use order. */
  globals: string[];
}

/**
 * Dotted-name components that are never accepted anywhere in a global: modules and functions that run code, touch
 * the system or resolve other names.
 */
export const DENIED_COMPONENTS: ReadonlySet<string> = new Set([
  // modules
  "os",
  "posix",
  "nt",
  "posixpath",
  "ntpath",
  "subprocess",
  "sys",
  "shutil",
  "socket",
  "importlib",
  "imp",
  "zipimport",
  "pkgutil",
  "pickle",
  "_pickle",
  "cPickle",
  "pickletools",
  "dill",
  "_dill",
  "cloudpickle",
  "joblib",
  "marshal",
  "shelve",
  "runpy",
  "code",
  "codeop",
  "webbrowser",
  "ctypes",
  "_ctypes",
  "cffi",
  "multiprocessing",
  "threading",
  "_thread",
  "thread",
  "concurrent",
  "asyncio",
  "signal",
  "pty",
  "tty",
  "platform",
  "commands",
  "popen2",
  "tempfile",
  "glob",
  "io",
  "_io",
  "fileinput",
  "urllib",
  "urllib2",
  "urllib3",
  "http",
  "httplib",
  "requests",
  "ftplib",
  "smtplib",
  "telnetlib",
  "xmlrpc",
  "ssl",
  "select",
  "selectors",
  "types",
  "inspect",
  "gc",
  "operator",
  "_operator",
  "functools",
  "itertools",
  "timeit",
  "trace",
  "bdb",
  "pdb",
  "cProfile",
  "profile",
  "doctest",
  "distutils",
  "setuptools",
  "pip",
  "site",
  "builtins_",
  "hub",
  "jit",
  "_jit_internal",
  "cpp_extension",
  "f2py",
  "ipython",
  "IPython",
  // functions and attributes
  "eval",
  "exec",
  "execfile",
  "compile",
  "__import__",
  "import_module",
  "getattr",
  "setattr",
  "delattr",
  "globals",
  "locals",
  "vars",
  "open",
  "input",
  "breakpoint",
  "help",
  "exit",
  "quit",
  "system",
  "popen",
  "Popen",
  "spawn",
  "spawnl",
  "spawnv",
  "execl",
  "execv",
  "execve",
  "execvp",
  "fork",
  "kill",
  "remove",
  "unlink",
  "rmtree",
  "call",
  "check_call",
  "check_output",
  "run",
  "runstring",
  "run_path",
  "run_module",
  "load",
  "loads",
  "load_inline",
  "apply",
  "__builtins__",
  "__globals__",
  "__subclasses__",
  "__getattribute__",
  "__reduce__",
  "__reduce_ex__",
  "__class__",
  "__dict__",
  "__code__",
  "__call__",
  "__init_subclass__",
  "__new__",
]);

/** `builtins` (`__builtin__` in Python 2 pickles) names that are inert value types and may be loaded. */
export const INERT_BUILTINS: ReadonlySet<string> = new Set([
  "set",
  "frozenset",
  "list",
  "dict",
  "tuple",
  "bytes",
  "bytearray",
  "str",
  "int",
  "float",
  "bool",
  "complex",
  "slice",
  "range",
  "object",
  "NotImplemented",
  "Ellipsis",
]);

/** Modules (and their submodules) whose globals become inert records by default. */
export const DEFAULT_ALLOWED_MODULES: readonly string[] = [
  "__builtin__",
  "builtins",
  "collections",
  "copyreg",
  "copy_reg",
  "_codecs",
  "numpy",
  "torch",
  "argparse",
  "pathlib",
  "datetime",
  "decimal",
  "fractions",
  "uuid",
  "models",
  "utils",
  "__main__",
  "ultralytics",
  "yolo",
  "easydict",
  "omegaconf",
];

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Decide whether a global may be loaded. Returns normally when it may; throws {@link UnsafeGlobalError} naming it
 * otherwise. See the module documentation for the policy.
 */
export function checkGlobal(module: string, name: string, allowModules: readonly string[] = []): void {
  const q = `${module}.${name}`;
  const modParts = module.split(".");
  const nameParts = name.split(".");
  const shown = JSON.stringify(q).slice(1, -1);
  if (![...modParts, ...nameParts].every((p) => IDENT.test(p))) {
    throw new UnsafeGlobalError(q, `Cannot load global "${shown}": not a well-formed Python module and name`);
  }
  const bad = [...modParts, ...nameParts].find((p) => DENIED_COMPONENTS.has(p));
  if (bad !== undefined) {
    throw new UnsafeGlobalError(
      q,
      `Cannot load global "${q}": refused by the safety policy ("${bad}" can run code or reach the system); the file may be malicious`,
    );
  }
  if (module === "builtins" || module === "__builtin__") {
    if (!INERT_BUILTINS.has(name)) {
      throw new UnsafeGlobalError(
        q,
        `Cannot load global "${q}": refused by the safety policy (only inert builtin types are allowed); the file may be malicious`,
      );
    }
    return;
  }
  const allowed = [...DEFAULT_ALLOWED_MODULES, ...allowModules].some((m) =>
    module === m || module.startsWith(`${m}.`)
  );
  if (!allowed) {
    throw new UnsafeGlobalError(
      q,
      `Cannot load global "${q}": module "${module}" is not on the allow-list of inert modules (pass it in allowModules, or --allow-module on the command line, if you trust the file)`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

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
  const n = shape.reduce((a, b) => a * b, 1);
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

/** A typed array of the right kind over (a fresh, aligned copy of) `bytes`. */
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

function latin1Bytes(s: string, what: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new PickleError(`Cannot build ${what}: character U+${c.toString(16)} is not latin-1`);
    out[i] = c;
  }
  return out;
}

function toBytes(v: unknown, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return latin1Bytes(v, what);
  throw new PickleError(`Cannot build ${what}: expected bytes, got ${describe(v)}`);
}

function iterItems(v: unknown, what: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Set) return [...v];
  if (v instanceof Map) return [...v.keys()];
  if (typeof v === "string") return [...v];
  if (v instanceof Uint8Array) return [...v];
  if (v instanceof PyObject && v.listItems) return v.listItems;
  throw new PickleError(`Cannot build ${what}: ${describe(v)} is not iterable`);
}

function pairsToMap(v: unknown, what: string): Map<unknown, unknown> {
  if (v instanceof Map) return new Map(v);
  const m = new Map<unknown, unknown>();
  for (const p of iterItems(v, what)) {
    if (!Array.isArray(p) || p.length !== 2) {
      throw new PickleError(`Cannot build ${what}: item ${describe(p)} is not a pair`);
    }
    m.set(p[0], p[1]);
  }
  return m;
}

/** A short description of a value's type, for error messages. */
export function describe(v: unknown): string {
  if (v === null) return "None";
  if (v instanceof PyObject) return `${v.qualname} object`;
  if (v instanceof PyGlobal) return `global ${v.qualname}`;
  if (Array.isArray(v)) return `tuple/list of ${v.length}`;
  if (v instanceof Map) return `dict of ${v.size}`;
  if (v instanceof Set) return `set of ${v.size}`;
  if (v instanceof Uint8Array) return `bytes of ${v.length}`;
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return typeof v;
}

function decodeScalar(dt: NumpyDType, raw: Uint8Array): unknown {
  const [k, n] = dt.kindSize;
  if (raw.length !== n) {
    throw new PickleError(`Cannot build numpy scalar of dtype "${dt.descr}" from ${raw.length} bytes`);
  }
  const b = raw.slice();
  if (dt.bigEndian) swapBytes(b, n);
  const v = new DataView(b.buffer);
  const int = (
    x: bigint,
  ) => (x >= -BigInt(Number.MAX_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x);
  switch (`${k}${n}`) {
    case "f2":
      return f16(v.getUint16(0, true));
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
      return int(v.getBigInt64(0, true));
    case "u1":
      return v.getUint8(0);
    case "u2":
      return v.getUint16(0, true);
    case "u4":
      return v.getUint32(0, true);
    case "u8":
      return int(v.getBigUint64(0, true));
    case "b1":
      return v.getUint8(0) !== 0;
  }
  return undefined;
}

function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function numpyDtypeOf(v: unknown, what: string): NumpyDType {
  if (v instanceof NumpyDType) return v;
  throw new PickleError(`Cannot build ${what}: expected a numpy dtype, got ${describe(v)}`);
}

const NUMPY_MODULES = ["numpy.core.multiarray", "numpy._core.multiarray"];
const NUMERIC_MODULES = ["numpy.core.numeric", "numpy._core.numeric"];

function defaultHandlers(): Record<string, GlobalHandler> {
  const h: Record<string, GlobalHandler> = {};
  const both = (name: string, f: GlobalHandler) => {
    h[`builtins.${name}`] = f;
    h[`__builtin__.${name}`] = f;
  };
  const toMap: GlobalHandler = (args) => (args.length ? pairsToMap(args[0], "dict") : new Map());
  h["collections.OrderedDict"] = toMap;
  h["collections.Counter"] = toMap;
  h["collections.defaultdict"] = (args) => (args.length > 1 ? pairsToMap(args[1], "defaultdict") : new Map());
  h["collections.deque"] = (args) => (args.length ? [...iterItems(args[0], "deque")] : []);
  both("dict", toMap);
  both("set", (args) => new Set(args.length ? iterItems(args[0], "set") : []));
  both("frozenset", (args) => new Set(args.length ? iterItems(args[0], "frozenset") : []));
  both("list", (args) => (args.length ? [...iterItems(args[0], "list")] : []));
  both("tuple", (args) => (args.length ? [...iterItems(args[0], "tuple")] : []));
  const bytesOf: GlobalHandler = (args) => {
    if (args.length === 0) return new Uint8Array(0);
    const [x, enc] = args;
    if (typeof x === "string") return encode(x, typeof enc === "string" ? enc : "utf-8");
    if (x instanceof Uint8Array) return x.slice();
    if (Array.isArray(x) && x.every((c) => typeof c === "number" && c >= 0 && c < 256)) {
      return Uint8Array.from(x as number[]);
    }
    throw new PickleError(`Cannot build bytes from ${describe(x)}`);
  };
  both("bytes", bytesOf);
  both("bytearray", bytesOf);
  h["_codecs.encode"] = (args) => {
    const [s, enc] = args;
    if (typeof s !== "string") {
      throw new PickleError(`Cannot build bytes with _codecs.encode from ${describe(s)}`);
    }
    return encode(s, typeof enc === "string" ? enc : "utf-8");
  };
  const reconstructor: GlobalHandler = (args) => {
    const [cls, base, state] = args;
    if (!(cls instanceof PyGlobal)) {
      throw new PickleError(`Cannot build object: _reconstructor class is ${describe(cls)}`);
    }
    const o = new PyObject(
      cls.module,
      cls.name,
      state === null || state === undefined ? [] : [state],
      "reconstructor",
    );
    if (base instanceof PyGlobal && base.name !== "object") o.kwargs = new Map([["__base__", base.qualname]]);
    return o;
  };
  const newobj: GlobalHandler = (args) => {
    const [cls, ...rest] = args;
    if (!(cls instanceof PyGlobal)) {
      throw new PickleError(`Cannot build object: __newobj__ class is ${describe(cls)}`);
    }
    return construct(cls, rest, undefined, "newobj", {});
  };
  const newobjEx: GlobalHandler = (args) => {
    const [cls, a, kw] = args;
    if (!(cls instanceof PyGlobal)) {
      throw new PickleError(`Cannot build object: __newobj_ex__ class is ${describe(cls)}`);
    }
    return construct(cls, iterItems(a, "args"), kw instanceof Map ? kw : undefined, "newobj_ex", {});
  };
  for (const m of ["copyreg", "copy_reg"]) {
    h[`${m}._reconstructor`] = reconstructor;
    h[`${m}.__newobj__`] = newobj;
    h[`${m}.__newobj_ex__`] = newobjEx;
  }
  h["numpy.dtype"] = (args) => {
    if (typeof args[0] !== "string") {
      throw new PickleError(`Cannot build numpy dtype from ${describe(args[0])}`);
    }
    return new NumpyDType(args[0]);
  };
  for (const m of NUMPY_MODULES) {
    h[`${m}.scalar`] = (args) => {
      const dt = numpyDtypeOf(args[0], "numpy scalar");
      if (dt.kindSize[0] === "O") return args[1];
      const v = args.length > 1 ? decodeScalar(dt, toBytes(args[1], "numpy scalar")) : 0;
      return v === undefined ? new PyObject(m, "scalar", args, "reduce") : v;
    };
    h[`${m}._reconstruct`] = () => new NumpyArray();
  }
  for (const m of NUMERIC_MODULES) {
    h[`${m}._frombuffer`] = (args) => {
      const [buf, dt, shape, order] = args;
      const a = new NumpyArray();
      a.dtype = numpyDtypeOf(dt, "numpy array");
      a.shape = iterItems(shape, "numpy shape").map((x) => checkDim(x, "numpy shape"));
      a.fortran = order === "F";
      a.data = toBytes(buf, "numpy array");
      return a;
    };
  }
  return h;
}

function encode(s: string, enc: string): Uint8Array {
  const e = enc.toLowerCase().replace(/_/g, "-");
  if (e === "latin1" || e === "latin-1" || e === "iso-8859-1" || e === "iso8859-1") {
    return latin1Bytes(s, "bytes");
  }
  if (e === "utf-8" || e === "utf8" || e === "ascii") return new TextEncoder().encode(s);
  throw new PickleError(`Cannot build bytes: encoding "${enc}" is not supported`);
}

function checkDim(x: unknown, what: string): number {
  if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0) {
    throw new PickleError(`Cannot build ${what}: bad dimension ${String(x)}`);
  }
  return x;
}

function construct(
  cls: PyGlobal,
  args: unknown[],
  kwargs: Map<unknown, unknown> | undefined,
  via: PyObjectVia,
  handlers: Record<string, GlobalHandler>,
): unknown {
  const f = handlers[cls.qualname];
  if (f) return f(args, kwargs);
  const o = new PyObject(cls.module, cls.name, args, via);
  if (kwargs) o.kwargs = kwargs;
  return o;
}

/** Symbol of the method our own value classes may define to accept BUILD state. */
export const BUILD_STATE: unique symbol = Symbol("pickle.build");

const ATTACHED_STATE = new WeakMap<object, unknown>();

/**
 * The state BUILD attached to a value that is not a {@link PyObject} (e.g. the `_metadata` of a pickled
 * `state_dict()` OrderedDict), or `undefined`.
 */
export function attachedState(v: object): unknown {
  return ATTACHED_STATE.get(v);
}

// ---------------------------------------------------------------------------------------------------------------
// the interpreter

const OPNAMES: Record<number, string> = {
  0x28: "MARK",
  0x2e: "STOP",
  0x30: "POP",
  0x31: "POP_MARK",
  0x32: "DUP",
  0x46: "FLOAT",
  0x49: "INT",
  0x4a: "BININT",
  0x4b: "BININT1",
  0x4c: "LONG",
  0x4d: "BININT2",
  0x4e: "NONE",
  0x50: "PERSID",
  0x51: "BINPERSID",
  0x52: "REDUCE",
  0x53: "STRING",
  0x54: "BINSTRING",
  0x55: "SHORT_BINSTRING",
  0x56: "UNICODE",
  0x58: "BINUNICODE",
  0x61: "APPEND",
  0x62: "BUILD",
  0x63: "GLOBAL",
  0x64: "DICT",
  0x7d: "EMPTY_DICT",
  0x65: "APPENDS",
  0x67: "GET",
  0x68: "BINGET",
  0x69: "INST",
  0x6a: "LONG_BINGET",
  0x6c: "LIST",
  0x5d: "EMPTY_LIST",
  0x6f: "OBJ",
  0x70: "PUT",
  0x71: "BINPUT",
  0x72: "LONG_BINPUT",
  0x73: "SETITEM",
  0x74: "TUPLE",
  0x29: "EMPTY_TUPLE",
  0x75: "SETITEMS",
  0x47: "BINFLOAT",
  0x80: "PROTO",
  0x81: "NEWOBJ",
  0x82: "EXT1",
  0x83: "EXT2",
  0x84: "EXT4",
  0x85: "TUPLE1",
  0x86: "TUPLE2",
  0x87: "TUPLE3",
  0x88: "NEWTRUE",
  0x89: "NEWFALSE",
  0x8a: "LONG1",
  0x8b: "LONG4",
  0x42: "BINBYTES",
  0x43: "SHORT_BINBYTES",
  0x8c: "SHORT_BINUNICODE",
  0x8d: "BINUNICODE8",
  0x8e: "BINBYTES8",
  0x8f: "EMPTY_SET",
  0x90: "ADDITEMS",
  0x91: "FROZENSET",
  0x92: "NEWOBJ_EX",
  0x93: "STACK_GLOBAL",
  0x94: "MEMOIZE",
  0x95: "FRAME",
  0x96: "BYTEARRAY8",
  0x97: "NEXT_BUFFER",
  0x98: "READONLY_BUFFER",
};

function smallInt(x: bigint): number | bigint {
  return x >= -BigInt(Number.MAX_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
}

function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) x -= 1n << BigInt(8 * b.length);
  return smallInt(x);
}

/** Parse a Python 2 `repr` string literal body (STRING opcode) into bytes. */
function parseStringLiteral(s: string, fail: (w: string) => never): Uint8Array {
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
function rawUnicodeEscape(b: Uint8Array): string {
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

/**
 * Unpickle one pickle starting at `opts.offset` and return the value, where it ended, its protocol and the globals
 * it used. Throws {@link PickleError} for malformed input and {@link UnsafeGlobalError} for refused globals.
 */
export function unpickleAt(bytes: Uint8Array, opts: UnpickleOptions = {}): UnpickleResult {
  const src = opts.source ?? "<bytes>";
  const handlers = { ...defaultHandlers(), ...(opts.handlers ?? {}) };
  const allow = opts.allowModules ?? [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  const utf8 = new TextDecoder("utf-8");
  let pos = opts.offset ?? 0;
  let opPos = pos;
  let op = 0;
  let protocol = 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const globals = new Set<string>();

  const where = () => `at byte ${opPos} (opcode ${OPNAMES[op] ?? `0x${op.toString(16).padStart(2, "0")}`})`;
  const fail = (what: string): never => {
    throw new PickleError(`Cannot unpickle ${src}: ${what} ${where()}`);
  };
  const need = (n: number | bigint, what: string): number => {
    const remaining = end - pos;
    if (typeof n === "bigint" ? n > BigInt(remaining) : n > remaining) {
      fail(`${what} declares ${n} bytes but only ${remaining} remain (truncated or corrupt)`);
    }
    if (typeof n === "number" && n < 0) fail(`${what} declares a negative length ${n}`);
    return Number(n);
  };
  const take = (n: number | bigint, what: string): Uint8Array => {
    const k = need(n, what);
    const out = bytes.subarray(pos, pos + k);
    pos += k;
    return out;
  };
  const u8 = () => (need(1, "argument"), bytes[pos++]);
  const u16 = () => (need(2, "argument"), pos += 2, view.getUint16(pos - 2, true));
  const u32 = () => (need(4, "argument"), pos += 4, view.getUint32(pos - 4, true));
  const i32 = () => (need(4, "argument"), pos += 4, view.getInt32(pos - 4, true));
  const u64 = () => (need(8, "argument"), pos += 8, view.getBigUint64(pos - 8, true));
  const line = (): string => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) fail("text argument has no terminating newline (truncated)");
    const s = String.fromCharCode(...bytes.subarray(pos, Math.min(nl, pos + 65536)));
    if (nl - pos > 65536) fail("text argument is longer than 65536 bytes");
    pos = nl + 1;
    return s.endsWith("\r") ? s.slice(0, -1) : s;
  };
  const pop = (): unknown => {
    const floor = marks.length ? marks[marks.length - 1] : 0;
    if (stack.length <= floor) fail("stack underflow");
    return stack.pop();
  };
  const top = (): unknown => {
    const floor = marks.length ? marks[marks.length - 1] : 0;
    if (stack.length <= floor) fail("stack underflow");
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail("no MARK on the stack");
    return stack.splice(m!);
  };
  const memoGet = (i: number) => {
    if (!memo.has(i)) fail(`memo key ${i} is not defined`);
    return memo.get(i);
  };
  const memoPut = (i: number) => {
    if (!Number.isSafeInteger(i) || i < 0) fail(`bad memo key ${i}`);
    memo.set(i, top());
  };
  const loadGlobal = (module: string, name: string): PyGlobal => {
    try {
      checkGlobal(module, name, allow);
    } catch (e) {
      const u = e as UnsafeGlobalError;
      throw new UnsafeGlobalError(u.global, `${u.message}; in ${src} ${where()}`);
    }
    globals.add(`${module}.${name}`);
    return new PyGlobal(module, name);
  };
  const call = (callable: unknown, args: unknown, kwargs: unknown, via: PyObjectVia): unknown => {
    if (!(callable instanceof PyGlobal)) {
      fail(`cannot call ${describe(callable)}: only globals can be called`);
    }
    if (!Array.isArray(args)) {
      fail(`arguments of ${(callable as PyGlobal).qualname} are ${describe(args)}, not a tuple`);
    }
    if (kwargs !== undefined && !(kwargs instanceof Map)) {
      fail(`keyword arguments are ${describe(kwargs)}, not a dict`);
    }
    try {
      return construct(
        callable as PyGlobal,
        args as unknown[],
        kwargs as Map<unknown, unknown> | undefined,
        via,
        handlers,
      );
    } catch (e) {
      if (e instanceof Error && !e.message.includes(" at byte ")) e.message = `${e.message} ${where()}`;
      throw e;
    }
  };
  const setItems = (target: unknown, kv: unknown[]) => {
    if (kv.length % 2) fail("odd number of items for SETITEMS");
    let m: Map<unknown, unknown>;
    if (target instanceof Map) m = target;
    else if (target instanceof PyObject) m = target.dictItems ??= new Map();
    else return fail(`cannot set items on ${describe(target)}`);
    for (let i = 0; i < kv.length; i += 2) m.set(kv[i], kv[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    if (Array.isArray(target)) {
      for (const x of items) target.push(x);
    } else if (target instanceof PyObject) {
      (target.listItems ??= []).push(...items);
    } else fail(`cannot append to ${describe(target)}`);
  };

  for (;;) {
    opPos = pos;
    if (pos >= end) {
      op = -1;
      fail("pickle data ended without STOP (truncated)");
    }
    op = bytes[pos++];
    switch (op) {
      case 0x80: { // PROTO
        protocol = u8();
        if (protocol > 5) fail(`unsupported pickle protocol ${protocol}`);
        break;
      }
      case 0x95: { // FRAME
        const n = u64();
        need(n, "FRAME");
        break;
      }
      case 0x2e: { // STOP
        if (marks.length) fail("STOP with an open MARK");
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack (expected 1)`);
        return { value: stack[0], end: pos, protocol, globals: [...globals] };
      }
      case 0x28:
        marks.push(stack.length);
        break; // MARK
      case 0x30: { // POP
        const floor = marks.length ? marks[marks.length - 1] : 0;
        if (stack.length > floor) stack.pop();
        else if (marks.length) popMark();
        else fail("stack underflow");
        break;
      }
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break;
      // --- constants and numbers
      // DUP
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a:
        stack.push(i32());
        break;
      case 0x4b:
        stack.push(u8());
        break;
      case 0x4d:
        stack.push(u16());
        break;
      case 0x8a:
        stack.push(decodeLong(take(u8(), "LONG1")));
        break;
      case 0x8b: {
        const n = i32();
        if (n < 0) fail(`LONG4 declares a negative length ${n}`);
        if (n > 65536) {
          fail(`LONG4 of ${n} bytes is larger than any integer a checkpoint holds (limit 65536)`);
        }
        stack.push(decodeLong(take(n, "LONG4")));
        break;
      }
      case 0x47:
        stack.push((need(8, "BINFLOAT"), pos += 8, view.getFloat64(pos - 8, false)));
        break;
      case 0x49: { // INT
        const s = line().trim();
        if (s === "00") stack.push(false);
        else if (s === "01") stack.push(true);
        else {
          if (!/^[-+]?\d+L?$/.test(s)) fail(`INT argument "${s.slice(0, 40)}" is not an integer`);
          stack.push(smallInt(BigInt(s.replace(/L$/, ""))));
        }
        break;
      }
      case 0x4c: { // LONG
        const s = line().trim();
        if (!/^[-+]?\d+L?$/.test(s)) fail(`LONG argument "${s.slice(0, 40)}" is not an integer`);
        stack.push(smallInt(BigInt(s.replace(/L$/, ""))));
        break;
      }
      case 0x46: { // FLOAT
        const s = line().trim().toLowerCase();
        const special: Record<string, number> = {
          inf: Infinity,
          "+inf": Infinity,
          "-inf": -Infinity,
          nan: NaN,
          "-nan": NaN,
        };
        const v = s in special ? special[s] : Number(s);
        if (Number.isNaN(v) && !(s in special)) fail(`FLOAT argument "${s.slice(0, 40)}" is not a number`);
        stack.push(v);
        break;
      }
      // --- strings and bytes
      case 0x58:
        stack.push(utf8.decode(take(u32(), "BINUNICODE")));
        break;
      case 0x8c:
        stack.push(utf8.decode(take(u8(), "SHORT_BINUNICODE")));
        break;
      case 0x8d:
        stack.push(utf8.decode(take(u64(), "BINUNICODE8")));
        break;
      case 0x56:
        stack.push(rawUnicodeEscape(latin1Bytes(line(), "UNICODE")));
        break;
      case 0x54: {
        const n = i32();
        if (n < 0) fail(`BINSTRING declares a negative length ${n}`);
        stack.push(latin1Str(take(n, "BINSTRING")));
        break;
      }
      case 0x55: {
        stack.push(latin1Str(take(u8(), "SHORT_BINSTRING")));
        break;
      }
      case 0x53: {
        stack.push(latin1Str(parseStringLiteral(line(), fail)));
        break;
      }
      case 0x42:
        stack.push(take(u32(), "BINBYTES").slice());
        break;
      case 0x43:
        stack.push(take(u8(), "SHORT_BINBYTES").slice());
        break;
      case 0x8e:
        stack.push(take(u64(), "BINBYTES8").slice());
        break;
      case 0x96:
        stack.push(take(u64(), "BYTEARRAY8").slice());
        break;
      case 0x97:
        fail("out-of-band buffers (NEXT_BUFFER) are not supported");
        break;
      case 0x98:
        break;
      // --- containers
      // READONLY_BUFFER: no-op on in-band data
      case 0x29:
        stack.push([]);
        break;
      case 0x5d:
        stack.push([]);
        break;
      case 0x7d:
        stack.push(new Map());
        break;
      case 0x8f:
        stack.push(new Set());
        break;
      case 0x74:
        stack.push(popMark());
        break; // TUPLE
      case 0x85:
        stack.push([pop()]);
        break;
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push([a, b]);
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push([a, b, c]);
        break;
      }
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x64: { // DICT
        const kv = popMark();
        const m = new Map();
        setItems(m, kv);
        stack.push(m);
        break;
      }
      case 0x91:
        stack.push(new Set(popMark()));
        break; // FROZENSET
      case 0x61: {
        const v = pop();
        appendItems(top(), [v]);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        appendItems(top(), items);
        break;
      } // APPENDS
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const kv = popMark();
        setItems(top(), kv);
        break;
      } // SETITEMS
      case 0x90: { // ADDITEMS
        const items = popMark();
        const t = top();
        if (t instanceof Set) { for (const x of items) t.add(x); }
        else if (t instanceof PyObject) (t.listItems ??= []).push(...items);
        else fail(`cannot add items to ${describe(t)}`);
        break;
      }
      // --- memo
      case 0x71:
        memoPut(u8());
        break;
      case 0x72:
        memoPut(u32());
        break;
      case 0x70:
        memoPut(Number(line()));
        break;
      case 0x94:
        memoPut(memo.size);
        break;
      case 0x68:
        stack.push(memoGet(u8()));
        break;
      case 0x6a:
        stack.push(memoGet(u32()));
        break;
      case 0x67:
        stack.push(memoGet(Number(line())));
        break;
      // --- globals and objects
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        stack.push(loadGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("STACK_GLOBAL needs two strings");
        stack.push(loadGlobal(module as string, name as string));
        break;
      }
      case 0x82:
      case 0x83:
      case 0x84:
        fail("extension codes (EXT1/EXT2/EXT4) are not supported: they name globals through a registry");
        break;
      case 0x52: {
        const args = pop();
        const f = pop();
        stack.push(call(f, args, undefined, "reduce"));
        break;
      }
      case 0x81: {
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args, undefined, "newobj"));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kw = pop();
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args, kw, "newobj_ex"));
        break;
      }
      case 0x69: { // INST
        const module = line();
        const name = line();
        const cls = loadGlobal(module, name);
        stack.push(call(cls, popMark(), undefined, "inst"));
        break;
      }
      case 0x6f: { // OBJ
        const items = popMark();
        if (!items.length) fail("OBJ without a class");
        stack.push(call(items[0], items.slice(1), undefined, "inst"));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject) {
          if (obj.state instanceof Map && state instanceof Map) {
            for (const [k, v] of state) obj.state.set(k, v);
          } else obj.state = state;
        } else if (obj instanceof NumpyArray) {
          buildNumpyArray(obj, state, fail);
        } else if (obj instanceof NumpyDType) {
          if (Array.isArray(state) && typeof state[1] === "string") obj.byteorder = state[1];
          if (Array.isArray(state) && state[3] !== null && state[3] !== undefined) obj.structured = true;
        } else if (obj !== null && typeof obj === "object" && BUILD_STATE in obj) {
          (obj as { [BUILD_STATE]: (s: unknown) => void })[BUILD_STATE](state);
        } else if (obj !== null && typeof obj === "object") {
          if (state !== null) ATTACHED_STATE.set(obj, state);
        } else fail(`cannot BUILD ${describe(obj)}`);
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail("persistent id found but no persistent_load is set");
        stack.push(persistent(opts.persistentLoad!, pid, where));
        break;
      }
      case 0x50: { // PERSID
        const pid = line();
        if (!opts.persistentLoad) fail("persistent id found but no persistent_load is set");
        stack.push(persistent(opts.persistentLoad!, pid, where));
        break;
      }
      default:
        fail(`unknown opcode 0x${op.toString(16).padStart(2, "0")} (corrupt data or not a pickle)`);
    }
  }
}

function persistent(load: (pid: unknown) => unknown, pid: unknown, where: () => string): unknown {
  try {
    return load(pid);
  } catch (e) {
    if (e instanceof Error && !e.message.includes(" at byte ")) e.message = `${e.message} ${where()}`;
    throw e;
  }
}

/** Python 2 `str` data are decoded as latin-1 (one character per byte), which loses nothing. */
function latin1Str(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  }
  return s;
}

function buildNumpyArray(a: NumpyArray, state: unknown, fail: (w: string) => never): void {
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
 * Unpickle `bytes` into inert data (see the module documentation). Throws {@link PickleError} /
 * {@link UnsafeGlobalError}.
 *
 * @example Usage
 * ```ts
 * import { unpickle } from "./pickle.ts";
 * const v = unpickle(new Uint8Array([0x80, 2, 0x4b, 7, 0x2e])); // pickle.dumps(7, 2)
 * console.log(v); // 7
 * ```
 */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions = {}): unknown {
  return unpickleAt(bytes, opts).value;
}

/**
 * Convert unpickled data to plain JSON-compatible values: `Map` -> object (keys stringified), `Set` / tuples ->
 * arrays, `bigint` -> number when safe (else string), bytes -> number arrays, records -> `{__class__, args?,
 * state?}`, numpy scalars are already numbers. Cycles and nesting deeper than `maxDepth` become a marker string;
 * more than `maxNodes` values in all (a small pickle can share references exponentially) is an error.
 */
export function toPlain(v: unknown, maxDepth = 64, maxNodes = 1_000_000): unknown {
  const seen = new Set<unknown>();
  let nodes = 0;
  const rec = (x: unknown, depth: number): unknown => {
    if (++nodes > maxNodes) {
      throw new PickleError(
        `Cannot convert to plain data: more than ${maxNodes} values (heavily shared references?)`,
      );
    }
    if (x === null || x === undefined) return null;
    if (typeof x === "bigint") return Number.isSafeInteger(Number(x)) ? Number(x) : x.toString();
    if (typeof x !== "object") return typeof x === "number" && !Number.isFinite(x) ? String(x) : x;
    if (depth > maxDepth || seen.has(x)) return "<cycle or too deep>";
    seen.add(x);
    try {
      if (x instanceof Map) {
        const o: Record<string, unknown> = {};
        for (const [k, val] of x) {
          // defineProperty: a key such as "__proto__" stays an ordinary own property
          Object.defineProperty(o, typeof k === "string" ? k : JSON.stringify(rec(k, depth + 1)), {
            value: rec(val, depth + 1),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return o;
      }
      if (Array.isArray(x) || x instanceof Set) return [...x].map((e) => rec(e, depth + 1));
      if (x instanceof Uint8Array) return [...x];
      if (x instanceof PyGlobal) return { __global__: x.qualname };
      if (x instanceof PyObject) {
        const o: Record<string, unknown> = { __class__: x.qualname };
        if (x.args.length) o.args = rec(x.args, depth + 1);
        if (x.state !== undefined) o.state = rec(x.state, depth + 1);
        if (x.dictItems) o.items = rec(x.dictItems, depth + 1);
        if (x.listItems) o.list = rec(x.listItems, depth + 1);
        return o;
      }
      if (x instanceof NumpyDType) return { __numpy_dtype__: x.descr };
      if (x instanceof NumpyArray) return { __numpy_array__: x.dtype?.descr, shape: x.shape };
      const t = x as { dtype?: unknown; shape?: unknown };
      if (typeof t.dtype === "string" && Array.isArray(t.shape)) {
        return { __tensor__: t.dtype, shape: t.shape };
      }
      return String(x);
    } finally {
      seen.delete(x);
    }
  };
  return rec(v, 0);
}
