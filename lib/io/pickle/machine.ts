/**
 * The state of one unpickling run (the input and the read position, the stack and its MARKs, the memo, the
 * globals loaded) and the primitives every opcode uses: argument readers that check each length against the bytes
 * that remain, stack access that respects MARKs, memo access, and {@link PickleMachine.fail}, which says what is
 * wrong and at which byte.
 * @module
 */
import { PickleError } from "./errors.ts";
import { defaultHandlers, type GlobalHandler } from "./handlers.ts";
import type { UnpickleOptions } from "./interpreter.ts";
import { opcodeName } from "./opcodes.ts";

/** One unpickling run over `bytes`, from `opts.offset`. */
export class PickleMachine {
  /** Read position. */
  pos: number;
  /** Offset of the opcode being run. */
  opPos: number;
  /** The opcode being run (-1 once the data ended without STOP). */
  op = 0;
  /** Protocol announced by PROTO (0 when absent). */
  protocol = 0;
  /** Set by STOP. */
  stopped = false;
  /** The value stack; MARKs are kept apart in `marks`. */
  readonly stack: unknown[] = [];
  /** Stack lengths at each open MARK. */
  readonly marks: number[] = [];
  /** The memo (PUT / GET). */
  readonly memo = new Map<number, unknown>();
  /** Every global loaded, as `module.name`, in first-use order. */
  readonly globals = new Set<string>();
  /** A view of `bytes` for multi-byte arguments. */
  readonly view: DataView;
  /** The name of the input in messages. */
  readonly source: string;
  /** Global handlers: the defaults with the caller's laid over them. */
  readonly handlers: Record<string, GlobalHandler>;
  /** Extra allow-listed modules. */
  readonly allowModules: readonly string[];
  /** Resolves persistent ids, if set. */
  readonly persistentLoad?: (pid: unknown) => unknown;

  /** Start a run. */
  constructor(readonly bytes: Uint8Array, opts: UnpickleOptions) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.source = opts.source ?? "<bytes>";
    this.handlers = { ...defaultHandlers(), ...(opts.handlers ?? {}) };
    this.allowModules = opts.allowModules ?? [];
    this.persistentLoad = opts.persistentLoad;
    this.pos = this.opPos = opts.offset ?? 0;
  }

  /** Where the run is, for messages: `at byte N (opcode NAME)`. */
  where(): string {
    return `at byte ${this.opPos} (opcode ${opcodeName(this.op)})`;
  }

  /** Throw a {@link PickleError} saying what is wrong, in which input and where. */
  readonly fail = (what: string): never => {
    throw new PickleError(`Cannot unpickle ${this.source}: ${what} ${this.where()}`);
  };

  /** Add the position to an error thrown by a handler or by `persistentLoad` (once), and return it. */
  annotate(e: unknown): unknown {
    if (e instanceof Error && !e.message.includes(" at byte ")) e.message = `${e.message} ${this.where()}`;
    return e;
  }

  /** Check that `n` bytes remain for `what` and return `n` as a number. */
  need(n: number | bigint, what: string): number {
    const remaining = this.bytes.length - this.pos;
    if (typeof n === "bigint" ? n > BigInt(remaining) : n > remaining) {
      this.fail(`${what} declares ${n} bytes but only ${remaining} remain (truncated or corrupt)`);
    }
    if (typeof n === "number" && n < 0) this.fail(`${what} declares a negative length ${n}`);
    return Number(n);
  }

  /** The next `n` bytes (a view into the input) for `what`. */
  take(n: number | bigint, what: string): Uint8Array {
    const k = this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + k);
    this.pos += k;
    return out;
  }

  /** An unsigned byte argument. */
  u8(): number {
    this.need(1, "argument");
    return this.bytes[this.pos++];
  }

  /** A little-endian uint16 argument. */
  u16(): number {
    this.need(2, "argument");
    this.pos += 2;
    return this.view.getUint16(this.pos - 2, true);
  }

  /** A little-endian uint32 argument. */
  u32(): number {
    this.need(4, "argument");
    this.pos += 4;
    return this.view.getUint32(this.pos - 4, true);
  }

  /** A little-endian int32 argument. */
  i32(): number {
    this.need(4, "argument");
    this.pos += 4;
    return this.view.getInt32(this.pos - 4, true);
  }

  /** A little-endian uint64 argument. */
  u64(): bigint {
    this.need(8, "argument");
    this.pos += 8;
    return this.view.getBigUint64(this.pos - 8, true);
  }

  /** A big-endian float64 argument (BINFLOAT). */
  f64be(): number {
    this.need(8, "BINFLOAT");
    this.pos += 8;
    return this.view.getFloat64(this.pos - 8, false);
  }

  /** A newline-terminated text argument (at most 65536 bytes), decoded as latin-1, without the line end. */
  line(): string {
    const { bytes, pos } = this;
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) this.fail("text argument has no terminating newline (truncated)");
    const s = String.fromCharCode(...bytes.subarray(pos, Math.min(nl, pos + 65536)));
    if (nl - pos > 65536) this.fail("text argument is longer than 65536 bytes");
    this.pos = nl + 1;
    return s.endsWith("\r") ? s.slice(0, -1) : s;
  }

  /** The stack length below which the innermost MARK protects the values. */
  get floor(): number {
    return this.marks.length ? this.marks[this.marks.length - 1] : 0;
  }

  /** Pop the top value (not across a MARK). */
  pop(): unknown {
    if (this.stack.length <= this.floor) this.fail("stack underflow");
    return this.stack.pop();
  }

  /** The top value (not across a MARK). */
  top(): unknown {
    if (this.stack.length <= this.floor) this.fail("stack underflow");
    return this.stack[this.stack.length - 1];
  }

  /** Pop the innermost MARK and the values above it. */
  popMark(): unknown[] {
    const m = this.marks.pop();
    if (m === undefined) return this.fail("no MARK on the stack");
    return this.stack.splice(m);
  }

  /** The memo entry `i`. */
  memoGet(i: number): unknown {
    if (!this.memo.has(i)) this.fail(`memo key ${i} is not defined`);
    return this.memo.get(i);
  }

  /** Store the top value as memo entry `i`. */
  memoPut(i: number): void {
    if (!Number.isSafeInteger(i) || i < 0) this.fail(`bad memo key ${i}`);
    this.memo.set(i, this.top());
  }
}
