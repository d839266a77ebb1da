/**
 * The inert values a pickle's globals become: {@link PyGlobal} (a class or function named but never resolved) and
 * {@link PyObject} (a record of what the pickle asked to construct, and the state it set), plus
 * {@link describe}, the short type description used in every error message.
 * @module
 */

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
