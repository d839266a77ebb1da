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
 * import { unpickle } from "./mod.ts";
 * // pickle.dumps({"a": [1, 2.5, None]}, protocol=2)
 * const bytes = new Uint8Array([0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x71, 1, 0x5d, 0x71, 2, 0x28,
 *   0x4b, 1, 0x47, 0x40, 4, 0, 0, 0, 0, 0, 0, 0x4e, 0x65, 0x73, 0x2e]);
 * const value = unpickle(bytes) as Map<string, unknown>;
 * console.log(value.get("a")); // [1, 2.5, null]
 * ```
 * @module
 */
export { attachedState, BUILD_STATE } from "./build.ts";
export { PickleError, UnsafeGlobalError } from "./errors.ts";
export type { GlobalHandler } from "./handlers.ts";
export { unpickle, unpickleAt, type UnpickleOptions, type UnpickleResult } from "./interpreter.ts";
export { NumpyArray, NumpyDType } from "./numpy.ts";
export { toPlain } from "./plain.ts";
export { checkGlobal, DEFAULT_ALLOWED_MODULES, DENIED_COMPONENTS, INERT_BUILTINS } from "./policy.ts";
export { describe, PyGlobal, PyObject, type PyObjectVia } from "./values.ts";
