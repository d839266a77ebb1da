/**
 * Kernel-level comparison of two backends: record every distinct kernel call (name, attributes, input
 * shapes and values, outputs) that a computation makes on one backend, then replay each call on another
 * and compare the outputs. Used to check that every kernel of a training step (forward and gradient)
 * gives the reference backend's values on webgpu.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** A tensor as plain data. */
export interface RecordedTensor {
  shape: number[];
  dtype: tf.DataType;
  values: Float32Array | Int32Array | Uint8Array;
}

/** One kernel call: its name, attributes, named inputs and outputs. */
export interface KernelCall {
  kernelName: string;
  attrs: tf.NamedAttrMap;
  inputs: Record<string, RecordedTensor>;
  /** Whether the kernel takes its inputs as a list (Concat, AddN, Pack) rather than by name. */
  listInputs: boolean;
  outputs: RecordedTensor[];
}

type RunKernel = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) => tf.Tensor | tf.Tensor[];

const plain = (t: tf.Tensor): RecordedTensor => ({
  shape: [...t.shape],
  dtype: t.dtype,
  values: (t.dataSync() as RecordedTensor["values"]).slice(),
});

function maxAbs(t: RecordedTensor): number {
  let m = 0;
  for (const v of t.values) m = Math.max(m, Math.abs(v));
  return m;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) && !(Number.isNaN(a[i]) && Number.isNaN(b[i])) ? Infinity : Math.max(m, d || 0);
  }
  return m;
}

/** The signature two calls share when they run the same program: name, attributes, input shapes and dtypes. */
function signature(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): string {
  const ins = Object.entries(inputs).map(([k, t]) => `${k}:${t?.dtype}[${t?.shape}]`);
  return `${name}(${ins.join(",")})${JSON.stringify(attrs ?? {})}`;
}

/**
 * Run `f` on the current backend (one whose reads are synchronous) and record the first call of each
 * distinct kernel signature (every call with `every`). Returns `f`'s result and the calls.
 */
export function recordKernels<T>(f: () => T, opts: { every?: boolean } = {}): { result: T; calls: KernelCall[] } {
  const engine = tf.engine() as unknown as { runKernel: RunKernel };
  const stock = engine.runKernel;
  const seen = new Set<string>();
  const calls: KernelCall[] = [];
  engine.runKernel = function (name, inputs, attrs) {
    const out = stock.call(this, name, inputs, attrs);
    const sig = signature(name, inputs, attrs);
    if (opts.every || !seen.has(sig)) {
      seen.add(sig);
      const named: Record<string, RecordedTensor> = {};
      for (const [k, t] of Object.entries(inputs)) if (t) named[k] = plain(t);
      calls.push({
        kernelName: name, attrs: structuredClone(attrs ?? {}), inputs: named, listInputs: Array.isArray(inputs),
        outputs: [out].flat().map(plain),
      });
    }
    return out;
  };
  try {
    return { result: f(), calls };
  } finally {
    engine.runKernel = stock;
  }
}

/**
 * The outcome of replaying one call: over its outputs, max|a - b| / max(max|b|, max|input|) (the scale
 * of the inputs, so that a sum that cancels to nearly zero is judged by the size of what it summed).
 */
export interface ReplayResult {
  call: KernelCall;
  error: number;
}

/** Replay `calls` on the current backend (reads awaited) and measure each output against the recording. */
export async function replayKernels(calls: readonly KernelCall[]): Promise<ReplayResult[]> {
  const engine = tf.engine() as unknown as { runKernel: RunKernel };
  const results: ReplayResult[] = [];
  for (const call of calls) {
    const made = Object.entries(call.inputs).map(([k, r]) => [k, tf.tensor(r.values, r.shape, r.dtype)] as const);
    const inputs = (call.listInputs ? made.map(([, t]) => t) : Object.fromEntries(made)) as tf.NamedTensorMap;
    const scale = Math.max(...call.outputs.map(maxAbs), ...Object.values(call.inputs).map(maxAbs));
    let error = 0;
    const outs = [engine.runKernel(call.kernelName, inputs, call.attrs)].flat();
    if (outs.length !== call.outputs.length) error = Infinity;
    for (let i = 0; i < outs.length && i < call.outputs.length; i++) {
      const want = call.outputs[i];
      const same = outs[i].shape.length === want.shape.length && outs[i].shape.every((d, j) => d === want.shape[j]);
      error = Math.max(error, same ? maxDiff(await outs[i].data(), want.values) / (scale || 1) : Infinity);
    }
    tf.dispose([...outs, ...Object.values(inputs)]);
    results.push({ call, error });
  }
  return results;
}

/** A short description of a call: kernel, input shapes, attributes. */
export function describeCall(c: KernelCall): string {
  const ins = Object.entries(c.inputs).map(([k, t]) => `${k}[${t.shape}]`).join(" ");
  return `${c.kernelName} ${ins} ${JSON.stringify(c.attrs)}`;
}
