/**
 * Opcodes that name globals and call them: GLOBAL, STACK_GLOBAL and INST load a global through the safety policy;
 * REDUCE, NEWOBJ, NEWOBJ_EX, INST and OBJ call it (a handler builds the value, or an inert record is made); BUILD
 * sets state; PERSID / BINPERSID resolve persistent ids through the caller. Extension codes are refused.
 * @module
 */
import { applyBuild } from "./build.ts";
import { UnsafeGlobalError } from "./errors.ts";
import { construct } from "./handlers.ts";
import type { PickleMachine } from "./machine.ts";
import type { OpTable } from "./opcodes.ts";
import { checkGlobal } from "./policy.ts";
import { describe, PyGlobal, type PyObjectVia } from "./values.ts";

function loadGlobal(m: PickleMachine, module: string, name: string): PyGlobal {
  try {
    checkGlobal(module, name, m.allowModules);
  } catch (e) {
    const u = e as UnsafeGlobalError;
    throw new UnsafeGlobalError(u.global, `${u.message}; in ${m.source} ${m.where()}`);
  }
  m.globals.add(`${module}.${name}`);
  return new PyGlobal(module, name);
}

function call(
  m: PickleMachine,
  callable: unknown,
  args: unknown,
  kwargs: unknown,
  via: PyObjectVia,
): unknown {
  if (!(callable instanceof PyGlobal)) {
    return m.fail(`cannot call ${describe(callable)}: only globals can be called`);
  }
  if (!Array.isArray(args)) m.fail(`arguments of ${callable.qualname} are ${describe(args)}, not a tuple`);
  if (kwargs !== undefined && !(kwargs instanceof Map)) {
    m.fail(`keyword arguments are ${describe(kwargs)}, not a dict`);
  }
  try {
    return construct(
      callable,
      args as unknown[],
      kwargs as Map<unknown, unknown> | undefined,
      via,
      m.handlers,
    );
  } catch (e) {
    throw m.annotate(e);
  }
}

function persistent(m: PickleMachine, pid: unknown): unknown {
  if (!m.persistentLoad) m.fail("persistent id found but no persistent_load is set");
  try {
    return m.persistentLoad!(pid);
  } catch (e) {
    throw m.annotate(e);
  }
}

const extension = (m: PickleMachine) =>
  m.fail("extension codes (EXT1/EXT2/EXT4) are not supported: they name globals through a registry");

/** Global, call, BUILD and persistent-id opcodes. */
export const OBJECT_OPS = {
  GLOBAL: (m) => {
    const module = m.line();
    const name = m.line();
    m.stack.push(loadGlobal(m, module, name));
  },
  STACK_GLOBAL: (m) => {
    const name = m.pop();
    const module = m.pop();
    if (typeof module !== "string" || typeof name !== "string") m.fail("STACK_GLOBAL needs two strings");
    m.stack.push(loadGlobal(m, module as string, name as string));
  },
  EXT1: extension,
  EXT2: extension,
  EXT4: extension,
  REDUCE: (m) => {
    const args = m.pop();
    const f = m.pop();
    m.stack.push(call(m, f, args, undefined, "reduce"));
  },
  NEWOBJ: (m) => {
    const args = m.pop();
    const cls = m.pop();
    m.stack.push(call(m, cls, args, undefined, "newobj"));
  },
  NEWOBJ_EX: (m) => {
    const kw = m.pop();
    const args = m.pop();
    const cls = m.pop();
    m.stack.push(call(m, cls, args, kw, "newobj_ex"));
  },
  INST: (m) => {
    const module = m.line();
    const name = m.line();
    const cls = loadGlobal(m, module, name);
    m.stack.push(call(m, cls, m.popMark(), undefined, "inst"));
  },
  OBJ: (m) => {
    const items = m.popMark();
    if (!items.length) m.fail("OBJ without a class");
    m.stack.push(call(m, items[0], items.slice(1), undefined, "inst"));
  },
  BUILD: (m) => {
    const state = m.pop();
    applyBuild(m.top(), state, m.fail);
  },
  BINPERSID: (m) => {
    m.stack.push(persistent(m, m.pop()));
  },
  PERSID: (m) => {
    m.stack.push(persistent(m, m.line()));
  },
} satisfies OpTable;
