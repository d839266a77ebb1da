/**
 * Running a model on tfjs tensors: the raw head outputs (train mode, as the loss needs them) and
 * the decoded eval-mode predictions (`DDetect.forward` in eval: boxes cx, cy, w, h in input pixels
 * and sigmoid class scores, `(B, 4 + nc, A)`), per head branch.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tree } from "../nn/tree.ts";
import { type BatchStats, TensorOps } from "../nn/tensor_ops.ts";
import type { Precision } from "../backend/port.ts";
import { decodeHead } from "../head/decode.ts";
import { decodeIDetect } from "../head/idetect_decode.ts";
import { forwardLayers, isAnchorBased, type ModelSpec } from "../graph/spec.ts";
import type { LayerOut } from "../graph/module_def.ts";

/** Options of {@link forwardModel}. */
export interface ForwardOptions {
  /** Train mode: BatchNorm with batch statistics (recorded into `stats`). */
  training?: boolean;
  stats?: Map<Tree<tf.Tensor>, BatchStats>;
  /** Also return every layer's output (for per-layer comparisons and feature maps). */
  keepLayers?: boolean;
  /**
   * `bf16`: the fused inference convolutions (fused weights, eval mode) multiply in bfloat16 where the
   * backend has native bf16 kernels (native, AVX512_BF16 or AMX); everything else stays float32.
   * `winograd`: the fused 3x3 stride-1 convolutions run as float32 Winograd F(4x4, 3x3) where the
   * backend has the kernel (native, AVX-512), each filter transformed once and kept while its tensor lives.
   */
  precision?: Precision;
}

/** Raw outputs of a forward pass. */
export interface ForwardResult {
  /** Per head branch (aux first for Dual/Triple), per level: NHWC `[B, H, W, 64 + nc]`. */
  heads: tf.Tensor4D[][];
  layers?: LayerOut<tf.Tensor4D>[];
}

/** Run the whole graph on an NHWC image batch in [0, 1]. Call inside `tf.tidy` or dispose the results. */
export function forwardModel(
  spec: ModelSpec,
  weights: Tree<tf.Tensor>,
  x: tf.Tensor4D,
  opts: ForwardOptions = {},
): ForwardResult {
  const [, h, w] = x.shape;
  const stride = Math.max(...spec.strides);
  if (h % stride || w % stride) {
    throw new RangeError(`Cannot run ${spec.name}: input ${h}x${w} must be a multiple of the stride ${stride}`);
  }
  const o = new TensorOps({ training: opts.training, stats: opts.stats, precision: opts.precision });
  const layers = forwardLayers(o, spec, weights, x);
  const heads = layers[layers.length - 1] as tf.Tensor4D[][];
  return opts.keepLayers ? { heads, layers } : { heads };
}

/**
 * Decode one branch's raw outputs to `(B, 4 + nc, A)` by the model's head: the DDetect family (DFL boxes,
 * sigmoid class scores) or YOLOv7's anchor-based IDetect (objectness x class score).
 */
export function decodeOutputs(spec: ModelSpec, levels: readonly tf.Tensor[]): tf.Tensor3D {
  const head = spec.layers[spec.layers.length - 1];
  if (!isAnchorBased(spec)) return decodeHead(levels, { strides: spec.strides });
  return decodeIDetect(levels, { nc: spec.nc, strides: spec.strides, anchors: head.args.anchors as number[][] });
}

/** Decode every head branch to `(B, 4 + nc, A)`; the main branch is the last. */
export function decodeBranches(spec: ModelSpec, heads: tf.Tensor4D[][]): tf.Tensor3D[] {
  return heads.map((levels) => decodeOutputs(spec, levels));
}

/**
 * Eval-mode inference: decoded predictions of the main (last) branch, `(B, 4 + nc, A)`, as
 * `val_dual.py` / `detect_dual.py` use (`pred[0][1]`).
 *
 * @example
 * ```ts
 * const y = tf.tidy(() => predict(spec, weights, tf.zeros([1, 64, 64, 3])));
 * ```
 */
export function predict(
  spec: ModelSpec,
  weights: Tree<tf.Tensor>,
  x: tf.Tensor4D,
  opts: { precision?: Precision } = {},
): tf.Tensor3D {
  return tf.tidy(() => {
    const { heads } = forwardModel(spec, weights, x, opts);
    return decodeOutputs(spec, heads[heads.length - 1]);
  });
}
