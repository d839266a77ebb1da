/**
 * Opcodes that control the run and move values without building any: PROTO, FRAME, STOP, MARK, POP, POP_MARK, DUP
 * and the memo (PUT, BINPUT, LONG_BINPUT, MEMOIZE, GET, BINGET, LONG_BINGET).
 * @module
 */
import type { OpTable } from "./opcodes.ts";

/** Control, stack and memo opcodes. */
export const STACK_OPS = {
  PROTO: (m) => {
    m.protocol = m.u8();
    if (m.protocol > 5) m.fail(`unsupported pickle protocol ${m.protocol}`);
  },
  FRAME: (m) => {
    m.need(m.u64(), "FRAME");
  },
  STOP: (m) => {
    if (m.marks.length) m.fail("STOP with an open MARK");
    if (m.stack.length !== 1) m.fail(`STOP with ${m.stack.length} values on the stack (expected 1)`);
    m.stopped = true;
  },
  MARK: (m) => m.marks.push(m.stack.length),
  POP: (m) => {
    if (m.stack.length > m.floor) m.stack.pop();
    else if (m.marks.length) m.popMark();
    else m.fail("stack underflow");
  },
  POP_MARK: (m) => m.popMark(),
  DUP: (m) => m.stack.push(m.top()),
  BINPUT: (m) => m.memoPut(m.u8()),
  LONG_BINPUT: (m) => m.memoPut(m.u32()),
  PUT: (m) => m.memoPut(Number(m.line())),
  MEMOIZE: (m) => m.memoPut(m.memo.size),
  BINGET: (m) => m.stack.push(m.memoGet(m.u8())),
  LONG_BINGET: (m) => m.stack.push(m.memoGet(m.u32())),
  GET: (m) => m.stack.push(m.memoGet(Number(m.line()))),
} satisfies OpTable;
