/**
 * The port between the numerics and the backend that runs them: the only module that model, loss and
 * optimizer code import for a backend's fast paths. {@link initBackend} plugs in the chosen backend's
 * adapter ({@link plugBackend}); with none plugged (or on a backend without an adapter) every entry
 * answers "no fast path" and callers use plain tfjs ops, so the numerics never ask tfjs which
 * backend runs.
 *
 * - fused kernels (`native`): conv + bias + activation, BatchNorm + activation, activation alone;
 * - array access (`cpu`, `native`): a tensor's values without a copy, and fresh value arrays
 *   (recycled from the native buffer pool): the optimizer reads every parameter, gradient and buffer
 *   once per step, and a copy of each would cost more than the update itself;
 * - asynchronous reads (`webgpu`): where a synchronous read cannot work (`dataSync` fails under Deno),
 *   callers that can await {@link fetchValues} first; the synchronous readers then see the downloaded
 *   values.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** The numeric arrays a tensor can hold. */
export type NumericArray = Float32Array | Int32Array | Uint8Array;

/**
 * Arithmetic of the fused inference convolutions: `fp32`; `bf16` (inputs and filters rounded to
 * bfloat16, float32 accumulation, bias, activation and outputs; as PyTorch's CPU autocast) where the
 * backend has native bf16 kernels; or `winograd` (float32 throughout, the 3x3 stride-1 convolutions as
 * Winograd F(4x4, 3x3): about 2e-6 of the output range from the direct convolution, each filter
 * transformed once and kept, 1.8-4x its size) where the backend has a Winograd kernel.
 */
export type Precision = "fp32" | "bf16" | "winograd";

/** BatchNorm parameters as the model stores them. */
export interface BatchNormParams {
  weight: tf.Tensor;
  bias: tf.Tensor;
  running_mean: tf.Tensor;
  running_var: tf.Tensor;
}

/** Output of a fused BatchNorm + activation; `mean`/`variance` are the batch statistics in training. */
export interface FusedBatchNormResult {
  y: tf.Tensor4D;
  mean?: tf.Tensor1D;
  variance?: tf.Tensor1D;
}

/** A compiled kernel recording (native backend, `lib/backend/native/trace.ts` and `kernel_program.ts`). */
export interface KernelProgram {
  /** Kernel calls per run. */
  readonly kernels: number;
  /** A run: `segment(inputs)` once per segment (returns its exports, one reference each), then `close()`. */
  run(): { segment(inputs: readonly tf.TensorInfo[]): tf.TensorInfo[]; close(): void };
  /** Release what the program keeps (its constants). */
  dispose(): void;
}

/** The result of a recording: `fn`'s result and the compiler of what it ran. */
export interface KernelRecording<R> {
  result: R;
  /** `inputs[k]` / `outputs[k]`: the tensors segment k binds at each run / exports. */
  compile(
    inputs: readonly (readonly tf.TensorInfo[])[],
    outputs: readonly (readonly tf.TensorInfo[])[],
  ): { ok: true; program: KernelProgram } | { ok: false; reason: string };
}

/** The arrays of one SGD update over many tensors (see `sgdUpdate` in lib/optim/sgd.ts). */
export interface SgdArrays {
  params: readonly Float32Array[];
  grads: readonly Float32Array[];
  /** Momentum buffers; null: none yet. */
  buffers: readonly (Float32Array | null)[];
  outParams: readonly Float32Array[];
  /** Null where the momentum is 0. */
  outBuffers: readonly (Float32Array | null)[];
  /** lr, momentum, weight decay of each tensor. */
  hyper: Float32Array;
  /** The gradients' factor (the clip coefficient). */
  scale: number;
  nesterov: boolean;
}

/** The arrays of the loss' head decoding (`decode` in lib/loss/plain_loss.ts): inputs, then outputs. */
export interface LossDecodeArrays {
  batch: number;
  /** Anchors an image. */
  anchors: number;
  nc: number;
  regMax: number;
  /** NHWC head values per level. */
  levels: readonly Float32Array[];
  /** Level of each anchor, and where anchor `image * anchors + a` starts in its level. */
  level: Int32Array;
  offset: Int32Array;
  /** Anchor centres (x, y), grid units. */
  points: Float32Array;
  /** Anchors whose bins, distances and box are needed. */
  need: Uint8Array;
  boxes: Float32Array;
  probs: Float32Array;
  softplus: Float64Array;
  bins: Float64Array;
  dist: Float64Array;
}

/** What a backend adapter may provide; every member is optional and returns null where it does not apply. */
export interface BackendPort {
  /** The backend's name, as {@link initBackend} chose it. */
  readonly name: string;
  /** `act(conv2d(x, w) + bias)` in one kernel; not differentiable (callers use it outside gradients). */
  fusedConvBiasAct?(x: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor | undefined, stride: number, pad: number, act: string, precision?: Precision): tf.Tensor4D | null;
  /** `act(BatchNorm(y))` over the channel axis, batch statistics when `training`; differentiable. */
  fusedBatchNormAct?(y: tf.Tensor4D, bn: BatchNormParams, act: string, opts: { training: boolean; eps: number }): FusedBatchNormResult | null;
  /** `act(x)` in one kernel; differentiable. */
  fusedAct?(x: tf.Tensor4D, act: string): tf.Tensor4D | null;
  /** The backend's own array of `t` (read now, never keep or write), or undefined. */
  peek?(t: tf.Tensor): NumericArray | undefined;
  /** The backend's own array of `t` when no other tensor shares it (to be written in place), or undefined. */
  owned?(t: tf.Tensor): NumericArray | undefined;
  /** A float32 array of `length` values for a new tensor (contents undefined). */
  newValues?(length: number): Float32Array;
  /** Nesterov SGD over many arrays in one call, bit-identical to the array loop. */
  sgdArrays?(a: SgdArrays): void;
  /** `out_i = ab[2i] x_i + ab[2i + 1] y_i` over many arrays in one call, bit-identical to the array loop. */
  axpbyArrays?(x: readonly Float32Array[], y: readonly Float32Array[], out: readonly Float32Array[], ab: Float32Array): void;
  /** The loss' head decoding over arrays in one call, the arithmetic of its TypeScript loop. */
  decodeLossArrays?(a: LossDecodeArrays): void;
  /** Record the kernel calls of `fn` (`mark()` ends a segment) for replay without the engine. */
  recordKernels?<R>(fn: (mark: () => void) => R): KernelRecording<R>;
  /** Download the values of `ts` so that synchronous reads of them work (backends whose reads are async). */
  fetch?(ts: readonly tf.Tensor[]): Promise<void>;
}

/** The signature of a fused-kernel member of {@link BackendPort}. */
type Fused<K extends "fusedConvBiasAct" | "fusedBatchNormAct" | "fusedAct"> = NonNullable<BackendPort[K]>;

let port: BackendPort = { name: "none" };

/** Plug in the adapter of the backend that now runs (called by `initBackend`). */
export function plugBackend(p: BackendPort): void {
  port = p;
}

/** The name of the backend whose adapter is plugged in ("none" before `initBackend`). */
export function portName(): string {
  return port.name;
}

/** Fused conv + bias + activation, or null (no such kernel here): the caller keeps its composite path. */
export const fusedConvBiasAct: Fused<"fusedConvBiasAct"> = (...a) => port.fusedConvBiasAct?.(...a) ?? null;

/** Fused BatchNorm + activation, or null (no such kernel here). */
export const fusedBatchNormAct: Fused<"fusedBatchNormAct"> = (...a) => port.fusedBatchNormAct?.(...a) ?? null;

/** Fused activation, or null (no such kernel here). */
export const fusedAct: Fused<"fusedAct"> = (...a) => port.fusedAct?.(...a) ?? null;

/**
 * The values of `t`, to read now and not to keep or write: the backend's own array where the adapter
 * gives access (cpu, native), else a copy (`dataSync`).
 *
 * @example
 * ```ts
 * const v = peekValues(tf.tensor1d([1, 2])); // Float32Array [1, 2]
 * ```
 */
export function peekValues(t: tf.Tensor): NumericArray {
  return port.peek?.(t) ?? (t.dataSync() as NumericArray);
}

/**
 * The backend's own array of `t` when `t` is the only tensor on it, to update in place (a donated state,
 * lib/train/train_step.ts), or undefined: on backends without in-place access, or when the storage is
 * shared (a clone, a reshape, a saved activation).
 *
 * @example
 * ```ts
 * const v = ownedValues(tf.tensor1d([1, 2])); // Float32Array [1, 2] on cpu and native, else undefined
 * ```
 */
export function ownedValues(t: tf.Tensor): NumericArray | undefined {
  return port.owned?.(t);
}

/**
 * Record the kernel calls of `fn` for replay as a {@link KernelProgram}, or null where the backend
 * cannot (every backend but `native`): the caller runs its plain tfjs path.
 *
 * @example
 * ```ts
 * const rec = recordKernels((mark) => tf.relu(x)); // null off the native backend
 * ```
 */
export function recordKernels<R>(fn: (mark: () => void) => R): KernelRecording<R> | null {
  return port.recordKernels?.(fn) ?? null;
}

/** Decode the loss' heads (`a`'s outputs) in the backend's native code; false (nothing done) where it has none. */
export function decodeLossArrays(a: LossDecodeArrays): boolean {
  if (!port.decodeLossArrays) return false;
  port.decodeLossArrays(a);
  return true;
}

/** Run the SGD update `a` in the backend's native code; false (nothing done) where it has none. */
export function sgdArrays(a: SgdArrays): boolean {
  if (!port.sgdArrays) return false;
  port.sgdArrays(a);
  return true;
}

/**
 * `out_i = ab[2i] x_i + ab[2i + 1] y_i` in the backend's native code; false (nothing done) where it has
 * none or an input is not float32.
 */
export function axpbyArrays(
  x: readonly NumericArray[],
  y: readonly NumericArray[],
  out: readonly Float32Array[],
  ab: Float32Array,
): boolean {
  const f32 = (vs: readonly NumericArray[]): vs is readonly Float32Array[] => vs.every((v) => v instanceof Float32Array);
  if (!port.axpbyArrays || !f32(x) || !f32(y)) return false;
  port.axpbyArrays(x, y, out, ab);
  return true;
}

/** True when tensor values can be read synchronously (every backend but `webgpu`). */
export function syncReads(): boolean {
  return port.fetch === undefined;
}

/**
 * Make the values of `ts` readable synchronously ({@link peekValues}, `dataSync`) until they are next
 * used by a kernel: a download on backends whose reads are asynchronous, nothing elsewhere.
 *
 * @example
 * ```ts
 * const t = tf.tensor1d([1, 2]);
 * await fetchValues([t]);
 * peekValues(t); // Float32Array [1, 2]
 * ```
 */
export async function fetchValues(ts: readonly tf.Tensor[]): Promise<void> {
  await port.fetch?.(ts);
}

/** A float32 array of `length` values for a new tensor, contents undefined (write every value). */
export function newValues(length: number): Float32Array {
  return port.newValues?.(length) ?? new Float32Array(length);
}
