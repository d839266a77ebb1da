/**
 * {@link toPlain}: unpickled data as plain JSON-compatible values, for display, metadata and the model yaml.
 * @module
 */
import { PickleError } from "./errors.ts";
import { NumpyArray, NumpyDType } from "./numpy.ts";
import { PyGlobal, PyObject } from "./values.ts";

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
