/**
 * Kernel programs: a recording of kernel calls (trace.ts) compiled to a fixed program and replayed. A
 * value of the program is identified by its storage, shape and dtype; calls no export needs are dropped,
 * and every value is released (back to the buffer pool) right after its last use. Constants (inputs
 * neither bound nor produced by a recorded call) are kept by the program until it is disposed.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { CpuLikeBackend } from "./tensors.ts";

/** One recorded kernel call. */
export interface RecordedCall {
  kernel: tf.KernelFunc;
  inputs: [string, tf.TensorInfo][];
  attrs: tf.NamedAttrMap | undefined;
  outputs: tf.TensorInfo[];
}

/** The calls of a recording so far, and where each segment ends. */
export interface Recording {
  calls: RecordedCall[];
  marks: number[];
  reads: number;
  backend: RefBackend | null;
  /** Outputs of the recorded calls. */
  produced: Set<tf.DataId>;
  /** Inputs no recorded call produced (bound or constant), each held by one reference until compiled. */
  foreign: Set<tf.DataId>;
}

/** The backend methods a program needs (tfjs' cpu backend has them). */
export interface RefBackend extends CpuLikeBackend {
  incRef(dataId: tf.DataId): void;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/** What {@link compileTrace} makes of a recording: a program, or why the recording cannot be replayed. */
export type CompileResult = { ok: true; program: KernelProgram } | { ok: false; reason: string };

/** Where a value of the program comes from. */
type Source = { kind: "bound"; segment: number; index: number } | { kind: "const"; info: tf.TensorInfo } | {
  kind: "call";
};

interface Step {
  kernel: tf.KernelFunc;
  names: string[];
  slots: number[];
  attrs: tf.NamedAttrMap | undefined;
  /** Slot of each output, -1 for an output nothing uses (released at once). */
  outs: number[];
  /** Slots released after this call. */
  frees: number[];
}

/** Compile `rec`: `inputs[k]` are bound by segment k at each run, `outputs[k]` exported by it. */
export function compileTrace(
  rec: Recording,
  inputs: readonly (readonly tf.TensorInfo[])[],
  outputs: readonly (readonly tf.TensorInfo[])[],
): CompileResult {
  const segments = rec.marks.length;
  if (inputs.length !== segments || outputs.length !== segments) {
    return {
      ok: false,
      reason:
        `expected inputs and outputs for ${segments} segments, got ${inputs.length} and ${outputs.length}`,
    };
  }
  if (rec.reads) {
    return {
      ok: false,
      reason: `${rec.reads} tensor read(s) during the recording: the kernel sequence may depend on values`,
    };
  }
  const backend = rec.backend;
  if (!backend) return { ok: false, reason: "no kernel ran during the recording" };
  const ids = new Map<tf.DataId, number>();
  const keyOf = (t: tf.TensorInfo) => {
    let id = ids.get(t.dataId);
    if (id === undefined) ids.set(t.dataId, id = ids.size);
    return `${id}|${t.shape.join(",")}|${t.dtype}`;
  };
  const slotOf = new Map<string, number>();
  const sources: Source[] = [];
  const newSlot = (key: string, s: Source) => (slotOf.set(key, sources.length), sources.push(s) - 1);
  for (let k = 0; k < segments; k++) {
    for (const [index, t] of inputs[k].entries()) {
      const key = keyOf(t);
      if (slotOf.has(key)) {
        return { ok: false, reason: `input ${index} of segment ${k} is the same tensor as another input` };
      }
      newSlot(key, { kind: "bound", segment: k, index });
    }
  }
  // Slots of every call (a value is identified by its storage, shape and dtype: a Reshape's output
  // shares its input's storage but is another value).
  const raw = rec.calls.map((c, i) => {
    const segment = rec.marks.findIndex((m) => i < m);
    const slots = c.inputs.map(([, t]) => {
      const key = keyOf(t);
      const s = slotOf.get(key);
      if (s !== undefined) {
        const src = sources[s];
        if (src.kind === "bound" && src.segment > segment) return -1;
        return s;
      }
      return newSlot(key, { kind: "const", info: { dataId: t.dataId, shape: t.shape, dtype: t.dtype } });
    });
    if (slots.includes(-1)) return null;
    const outs = c.outputs.map((t) => newSlot(keyOf(t), { kind: "call" }));
    return { kernel: c.kernel, names: c.inputs.map(([n]) => n), slots, attrs: c.attrs, outs, segment };
  });
  if (raw.includes(null)) return { ok: false, reason: "a kernel uses an input of a later segment" };
  const exportSlots: number[][] = [];
  for (let k = 0; k < segments; k++) {
    const slots = outputs[k].map((t) => slotOf.get(keyOf(t)) ?? -1);
    const missing = slots.indexOf(-1);
    if (missing >= 0) {
      return { ok: false, reason: `output ${missing} of segment ${k} is not a value of the recording` };
    }
    exportSlots.push(slots);
  }
  return {
    ok: true,
    program: new KernelProgram(backend, plan(raw as PlannedCall[], sources, exportSlots, rec.marks)),
  };
}

interface PlannedCall extends Omit<Step, "frees"> {
  segment: number;
}

interface Plan {
  steps: Step[][];
  sources: Source[];
  exports: number[][];
  /** Slots released at the end of each segment, after its exports. */
  endFrees: number[][];
}

/** Drop the calls no export needs; release every value after its last use. */
function plan(calls: PlannedCall[], sources: Source[], exports: number[][], marks: number[]): Plan {
  const needed = new Set(exports.flat());
  const live = calls.map(() => false);
  for (let i = calls.length - 1; i >= 0; i--) {
    if (!calls[i].outs.some((s) => needed.has(s))) continue;
    live[i] = true;
    calls[i].slots.forEach((s) => needed.add(s));
  }
  // Last use of each slot, as a position: call i at i, the exports of segment k just after its last call.
  const last = new Map<number, number>();
  const use = (s: number, at: number) => last.set(s, Math.max(at, last.get(s) ?? -1));
  calls.forEach((c, i) => live[i] && c.slots.forEach((s) => use(s, i)));
  exports.forEach((slots, k) => slots.forEach((s) => use(s, marks[k] - 0.5)));
  const steps: Step[][] = marks.map(() => []);
  const owned = (s: number) => sources[s].kind === "call";
  const endFrees = marks.map((m) =>
    [...last].filter(([s, at]) => owned(s) && at === m - 0.5).map(([s]) => s)
  );
  calls.forEach((c, i) => {
    if (!live[i]) return;
    const outs = c.outs.map((s) => (last.has(s) ? s : -1));
    const frees = [...new Set(c.slots)].filter((s) => owned(s) && last.get(s) === i);
    steps[c.segment].push({ kernel: c.kernel, names: c.names, slots: c.slots, attrs: c.attrs, outs, frees });
  });
  return { steps, sources, exports, endFrees };
}

/** A compiled recording. {@link KernelProgram.dispose} releases the constants it keeps. */
export class KernelProgram {
  /** Kernel calls per run. */
  readonly kernels: number;
  /** The storage of the constants, one reference each (taken during the recording). */
  readonly constants: Set<tf.DataId>;
  private disposed = false;

  constructor(private readonly backend: RefBackend, private readonly p: Plan) {
    this.kernels = p.steps.reduce((n, s) => n + s.length, 0);
    this.constants = new Set(p.sources.flatMap((s) => (s.kind === "const" ? [s.info.dataId] : [])));
  }

  /** Start a run: call `segment(inputs)` once per segment, then `close()`. */
  run(): ProgramRun {
    if (this.disposed) throw new Error("Cannot run a disposed kernel program");
    return new ProgramRun(this.backend, this.p);
  }

  /** Release the constants (the program cannot run afterwards). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const id of this.constants) this.backend.disposeData(id);
  }
}

/** One run of a {@link KernelProgram}: its values between segments. */
export class ProgramRun {
  private readonly env: (tf.TensorInfo | undefined)[];
  private next = 0;

  constructor(private readonly backend: RefBackend, private readonly p: Plan) {
    this.env = p.sources.map((s) => (s.kind === "const" ? s.info : undefined));
  }

  /**
   * Run the next segment with its bound inputs; returns its exports as new references (the caller
   * releases each once, e.g. by wrapping it in a tensor and disposing that).
   */
  segment(inputs: readonly tf.TensorInfo[]): tf.TensorInfo[] {
    const k = this.next++;
    const { steps, sources, exports, endFrees } = this.p;
    if (k >= steps.length) throw new Error(`Cannot run segment ${k}: the program has ${steps.length}`);
    const env = this.env, backend = this.backend;
    sources.forEach((s, i) => {
      if (s.kind === "bound" && s.segment === k) env[i] = inputs[s.index];
    });
    for (const st of steps[k]) {
      const args: tf.NamedTensorInfoMap = {};
      for (let j = 0; j < st.names.length; j++) args[st.names[j]] = env[st.slots[j]]!;
      const out = st.kernel({ inputs: args, attrs: st.attrs, backend: backend as never });
      const outs = Array.isArray(out) ? out : [out];
      for (let j = 0; j < outs.length; j++) {
        const s = st.outs[j];
        if (s < 0) backend.disposeData(outs[j].dataId);
        else env[s] = outs[j];
      }
      for (const s of st.frees) this.release(s);
    }
    const result = exports[k].map((s) => {
      const info = env[s]!;
      backend.incRef(info.dataId);
      return info;
    });
    for (const s of endFrees[k]) this.release(s);
    return result;
  }

  /** Release what the run still holds (also after an error). */
  close(): void {
    this.p.sources.forEach((s, i) => {
      if (s.kind === "call") this.release(i);
    });
  }

  private release(s: number): void {
    const info = this.env[s];
    if (!info) return;
    this.env[s] = undefined;
    this.backend.disposeData(info.dataId);
  }
}
