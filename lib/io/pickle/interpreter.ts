/**
 * The interpreter loop: {@link unpickleAt} and {@link unpickle} run a {@link PickleMachine} over the input,
 * dispatching each opcode to its implementation (stack, scalar, container and object opcodes) until STOP.
 * @module
 */
import type { GlobalHandler } from "./handlers.ts";
import { PickleMachine } from "./machine.ts";
import { type Op, OPCODE_NAMES, type OpName } from "./opcodes.ts";
import { CONTAINER_OPS } from "./ops_containers.ts";
import { OBJECT_OPS } from "./ops_objects.ts";
import { SCALAR_OPS } from "./ops_scalars.ts";
import { STACK_OPS } from "./ops_stack.ts";

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

const IMPLEMENTATIONS = {
  ...STACK_OPS,
  ...SCALAR_OPS,
  ...CONTAINER_OPS,
  ...OBJECT_OPS,
} satisfies Record<OpName, Op>;

/** Opcode implementations by byte value. */
const DISPATCH: (Op | undefined)[] = new Array(256);
for (const [code, name] of Object.entries(OPCODE_NAMES)) DISPATCH[Number(code)] = IMPLEMENTATIONS[name];

/**
 * Unpickle one pickle starting at `opts.offset` and return the value, where it ended, its protocol and the globals
 * it used. Throws {@link PickleError} for malformed input and {@link UnsafeGlobalError} for refused globals.
 */
export function unpickleAt(bytes: Uint8Array, opts: UnpickleOptions = {}): UnpickleResult {
  const m = new PickleMachine(bytes, opts);
  while (!m.stopped) {
    m.opPos = m.pos;
    if (m.pos >= bytes.length) {
      m.op = -1;
      m.fail("pickle data ended without STOP (truncated)");
    }
    m.op = bytes[m.pos++];
    const run = DISPATCH[m.op];
    if (!run) m.fail(`unknown opcode 0x${m.op.toString(16).padStart(2, "0")} (corrupt data or not a pickle)`);
    run!(m);
  }
  return { value: m.stack[0], end: m.pos, protocol: m.protocol, globals: [...m.globals] };
}

/**
 * Unpickle `bytes` into inert data (see the documentation of `mod.ts`). Throws {@link PickleError} /
 * {@link UnsafeGlobalError}.
 *
 * @example Usage
 * ```ts
 * import { unpickle } from "./mod.ts";
 * const v = unpickle(new Uint8Array([0x80, 2, 0x4b, 7, 0x2e])); // pickle.dumps(7, 2)
 * console.log(v); // 7
 * ```
 */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions = {}): unknown {
  return unpickleAt(bytes, opts).value;
}
