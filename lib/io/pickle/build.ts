/**
 * What the BUILD opcode does to each kind of value: merges or sets the state of a {@link PyObject}, completes numpy
 * arrays and dtypes, hands the state to values that define {@link BUILD_STATE}, and otherwise keeps it aside, where
 * {@link attachedState} finds it.
 * @module
 */
import type { Fail } from "./codecs.ts";
import { buildNumpyArray, buildNumpyDType, NumpyArray, NumpyDType } from "./numpy.ts";
import { describe, PyObject } from "./values.ts";

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

/** Apply a BUILD `state` to `obj`; `fail` reports a value that cannot take state. */
export function applyBuild(obj: unknown, state: unknown, fail: Fail): void {
  if (obj instanceof PyObject) {
    if (obj.state instanceof Map && state instanceof Map) {
      for (const [k, v] of state) obj.state.set(k, v);
    } else obj.state = state;
  } else if (obj instanceof NumpyArray) {
    buildNumpyArray(obj, state, fail);
  } else if (obj instanceof NumpyDType) {
    buildNumpyDType(obj, state);
  } else if (obj !== null && typeof obj === "object" && BUILD_STATE in obj) {
    (obj as { [BUILD_STATE]: (s: unknown) => void })[BUILD_STATE](state);
  } else if (obj !== null && typeof obj === "object") {
    if (state !== null) ATTACHED_STATE.set(obj, state);
  } else fail(`cannot BUILD ${describe(obj)}`);
}
