/**
 * Opcodes that build and fill containers: tuples and lists (`Array`), dicts (`Map`), sets and frozensets (`Set`),
 * and APPEND(S) / SETITEM(S) / ADDITEMS, which also fill the list or dict items of a {@link PyObject} record of a
 * list, dict or set subclass.
 * @module
 */
import type { PickleMachine } from "./machine.ts";
import type { OpTable } from "./opcodes.ts";
import { describe, PyObject } from "./values.ts";

function setItems(m: PickleMachine, target: unknown, kv: unknown[]): void {
  if (kv.length % 2) m.fail("odd number of items for SETITEMS");
  let d: Map<unknown, unknown>;
  if (target instanceof Map) d = target;
  else if (target instanceof PyObject) d = target.dictItems ??= new Map();
  else return m.fail(`cannot set items on ${describe(target)}`);
  for (let i = 0; i < kv.length; i += 2) d.set(kv[i], kv[i + 1]);
}

function appendItems(m: PickleMachine, target: unknown, items: unknown[]): void {
  if (Array.isArray(target)) {
    for (const x of items) target.push(x);
  } else if (target instanceof PyObject) {
    (target.listItems ??= []).push(...items);
  } else m.fail(`cannot append to ${describe(target)}`);
}

/** Container opcodes. */
export const CONTAINER_OPS = {
  EMPTY_TUPLE: (m) => m.stack.push([]),
  EMPTY_LIST: (m) => m.stack.push([]),
  EMPTY_DICT: (m) => m.stack.push(new Map()),
  EMPTY_SET: (m) => m.stack.push(new Set()),
  TUPLE: (m) => m.stack.push(m.popMark()),
  TUPLE1: (m) => m.stack.push([m.pop()]),
  TUPLE2: (m) => {
    const b = m.pop();
    const a = m.pop();
    m.stack.push([a, b]);
  },
  TUPLE3: (m) => {
    const c = m.pop();
    const b = m.pop();
    const a = m.pop();
    m.stack.push([a, b, c]);
  },
  LIST: (m) => m.stack.push(m.popMark()),
  DICT: (m) => {
    const kv = m.popMark();
    const d = new Map();
    setItems(m, d, kv);
    m.stack.push(d);
  },
  FROZENSET: (m) => m.stack.push(new Set(m.popMark())),
  APPEND: (m) => {
    const v = m.pop();
    appendItems(m, m.top(), [v]);
  },
  APPENDS: (m) => {
    const items = m.popMark();
    appendItems(m, m.top(), items);
  },
  SETITEM: (m) => {
    const v = m.pop();
    const k = m.pop();
    setItems(m, m.top(), [k, v]);
  },
  SETITEMS: (m) => {
    const kv = m.popMark();
    setItems(m, m.top(), kv);
  },
  ADDITEMS: (m) => {
    const items = m.popMark();
    const t = m.top();
    if (t instanceof Set) { for (const x of items) t.add(x); }
    else if (t instanceof PyObject) (t.listItems ??= []).push(...items);
    else m.fail(`cannot add items to ${describe(t)}`);
  },
} satisfies OpTable;
