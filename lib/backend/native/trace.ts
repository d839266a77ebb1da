/**
 * Kernel traces: record the kernel calls of one run of a computation on the `native` backend, then
 * replay them as a fixed program, with no tfjs engine work (no tape, no Tensor objects, no scopes, no
 * model code). A call of the program is the same kernel function with the same attributes on the
 * same backend; only the storage differs: each value is the output of its kernel at this run, and is
 * released (back to the buffer pool) right after its last use. The recording is split into segments
 * ({@link recordKernels}' `mark`): each segment binds its own inputs (e.g. the weights and images,
 * then the gradients of the head outputs) and exports its own outputs, and values carry over between
 * segments.
 *
 * What the recording must satisfy to be replayed (checked where it can be): the kernel sequence does
 * not depend on tensor values (no reads during the recording), and every input that is neither bound
 * nor produced by a recorded kernel is a constant (e.g. a scalar an op created); constants are kept.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type CompileResult, compileTrace, type Recording, type RefBackend } from "./kernel_program.ts";

let active: Recording | null = null;

/** Called by the kernel wrapper of every native-backend kernel (register.ts) after the call. */
export function recordCall(
  kernel: tf.KernelFunc,
  args: Parameters<tf.KernelFunc>[0],
  out: tf.TensorInfo | tf.TensorInfo[],
): void {
  if (!active) return;
  active.backend ??= args.backend as unknown as RefBackend;
  const inputs = Object.entries(args.inputs as tf.NamedTensorInfoMap).filter((
    e,
  ): e is [string, tf.TensorInfo] => !!e[1]);
  for (const [, t] of inputs) {
    if (active.produced.has(t.dataId) || active.foreign.has(t.dataId)) continue;
    active.backend.incRef(t.dataId); // a constant may be disposed before the recording is compiled
    active.foreign.add(t.dataId);
  }
  const outputs = Array.isArray(out) ? out : [out];
  for (const t of outputs) active.produced.add(t.dataId);
  active.calls.push({ kernel, inputs, attrs: args.attrs, outputs });
}

/** Called by the pool's read wrappers: a read during a recording makes it unreplayable. */
export function recordRead(): void {
  if (active) active.reads++;
}

/**
 * Run `fn` while recording its kernel calls; `mark()` (called inside `fn`) ends a segment. Returns
 * `fn`'s result and a `compile` that turns the recording into a program: `inputs[k]` are the tensors
 * of the recording that segment k binds anew at each run, `outputs[k]` those it exports.
 *
 * @example
 * ```ts
 * const { result, compile } = recordKernels((mark) => tf.relu(x));
 * const c = compile([[x]], [[result]]);
 * if (c.ok) { const run = c.program.run(); const [y] = run.segment([x2]); run.close(); }
 * ```
 */
export function recordKernels<R>(fn: (mark: () => void) => R): {
  result: R;
  compile: (
    inputs: readonly (readonly tf.TensorInfo[])[],
    outputs: readonly (readonly tf.TensorInfo[])[],
  ) => CompileResult;
} {
  if (active) throw new Error("Cannot record kernels: a recording is already running");
  const rec: Recording = {
    calls: [],
    marks: [],
    reads: 0,
    backend: null,
    produced: new Set(),
    foreign: new Set(),
  };
  active = rec;
  let result: R;
  try {
    result = fn(() => rec.marks.push(rec.calls.length));
  } finally {
    active = null;
  }
  rec.marks.push(rec.calls.length);
  return {
    result,
    compile: (inputs, outputs) => {
      const r = compileTrace(rec, inputs, outputs);
      // The program keeps its constants' references; the bound inputs' go back now.
      const kept = r.ok ? r.program.constants : new Set<tf.DataId>();
      for (const id of rec.foreign) if (!kept.has(id)) rec.backend!.disposeData(id);
      rec.foreign.clear();
      return r;
    },
  };
}
