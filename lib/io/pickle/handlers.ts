/**
 * Global handlers: the project's own functions that build plain values when a pickle calls a well-known global
 * (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ). The defaults turn `collections.OrderedDict` / `defaultdict` / `Counter`
 * into `Map`s, `set` / `frozenset` into `Set`s, `bytes` / `bytearray` / `_codecs.encode` into `Uint8Array`s,
 * `copyreg` reconstructors into records, numpy scalars into numbers and numpy arrays and dtypes into
 * {@link NumpyArray} / {@link NumpyDType}; {@link construct} makes an inert {@link PyObject} of any other global.
 * @module
 */
import { encode, latin1Bytes } from "./codecs.ts";
import { PickleError } from "./errors.ts";
import { decodeScalar, NumpyArray, NumpyDType } from "./numpy.ts";
import { describe, PyGlobal, PyObject, type PyObjectVia } from "./values.ts";

/** A global handler: builds a value from the arguments of REDUCE / NEWOBJ / NEWOBJ_EX / INST / OBJ. */
export type GlobalHandler = (args: unknown[], kwargs?: Map<unknown, unknown>) => unknown;

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

function numpyDtypeOf(v: unknown, what: string): NumpyDType {
  if (v instanceof NumpyDType) return v;
  throw new PickleError(`Cannot build ${what}: expected a numpy dtype, got ${describe(v)}`);
}

const NUMPY_MODULES = ["numpy.core.multiarray", "numpy._core.multiarray"];
const NUMERIC_MODULES = ["numpy.core.numeric", "numpy._core.numeric"];

/** The default handlers by `module.name`; callers' handlers are laid over them. */
export function defaultHandlers(): Record<string, GlobalHandler> {
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

function checkDim(x: unknown, what: string): number {
  if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0) {
    throw new PickleError(`Cannot build ${what}: bad dimension ${String(x)}`);
  }
  return x;
}

/**
 * Call a global: its handler's value when there is one, else an inert {@link PyObject} record of the class, the
 * arguments and how it was called.
 */
export function construct(
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
