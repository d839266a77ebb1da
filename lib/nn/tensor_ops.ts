/**
 * {@link Ops} on tfjs tensors (NHWC activations, HWIO conv weights). BatchNorm runs in eval mode
 * (running statistics) or train mode (batch statistics, recorded for the running-average update).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Act, ConvOpts, Ops } from "./ops.ts";
import { leaf, type Tree } from "./tree.ts";
import { type BatchNormParams, fusedAct, fusedBatchNormAct, fusedConvBiasAct, type Precision } from "../backend/port.ts";

/** BatchNorm epsilon of every BatchNorm2d in the official models (models/yolo.py initialize_weights). */
export const BN_EPS = 1e-3;

/** Batch statistics of one BatchNorm layer seen in a train-mode forward. */
export interface BatchStats {
  mean: tf.Tensor1D;
  /** Biased variance (used for normalisation). */
  variance: tf.Tensor1D;
  /** Number of values per channel (N*H*W), for the unbiased running-variance update. */
  count: number;
}

/** Options of {@link TensorOps}. */
export interface TensorOpsOptions {
  /** Train mode: BatchNorm uses batch statistics and records them in `stats`. */
  training?: boolean;
  /** Collector of batch statistics, keyed by the BatchNorm parameter subtree. */
  stats?: Map<Tree<tf.Tensor>, BatchStats>;
  /**
   * Gradients will be taken through this eval-mode forward: no non-differentiable fused kernels
   * (train mode implies it).
   */
  differentiable?: boolean;
  /** Arithmetic of the fused inference convolutions (see {@link Precision}); default `fp32`. */
  precision?: Precision;
}

function applyAct(x: tf.Tensor4D, a: Act): tf.Tensor4D {
  if (a === "silu") return tf.mul(x, tf.sigmoid(x));
  if (a === "relu") return tf.relu(x);
  return x;
}

function conv(x: tf.Tensor4D, w: tf.Tensor4D, o: ConvOpts): tf.Tensor4D {
  const s = o.s ?? 1;
  const pad = o.pad ?? Math.floor(w.shape[0] / 2);
  const g = o.g ?? 1;
  if (g === 1) return tf.conv2d(x, w, s, pad);
  const xs = tf.split(x, g, 3) as tf.Tensor4D[];
  const ws = tf.split(w, g, 3) as tf.Tensor4D[];
  return tf.concat(xs.map((xi, i) => tf.conv2d(xi, ws[i], s, pad)), 3) as tf.Tensor4D;
}

/** Tensor operations for a forward pass; create one per forward (it may carry a stats collector). */
export class TensorOps implements Ops<tf.Tensor4D, tf.Tensor> {
  constructor(readonly opts: TensorOpsOptions = {}) {}

  conv2d(p: Tree<tf.Tensor>, x: tf.Tensor4D, o: ConvOpts = {}): tf.Tensor4D {
    const y = conv(x, leaf(p, "weight") as tf.Tensor4D, o);
    return p.bias ? tf.add(y, leaf(p, "bias")) : y;
  }

  convUnit(p: Tree<tf.Tensor>, x: tf.Tensor4D, o: ConvOpts & { act: Act }): tf.Tensor4D {
    const c = p.conv as Tree<tf.Tensor>;
    const bn = p.bn as Tree<tf.Tensor> | undefined;
    // The backend may fuse conv + bias + activation (outside gradients) and BatchNorm + activation.
    if (!bn && (o.g ?? 1) === 1 && !this.opts.training && !this.opts.differentiable) {
      const w = leaf(c, "weight") as tf.Tensor4D;
      const b = c.bias ? leaf(c, "bias") : undefined;
      const pad = o.pad ?? Math.floor(w.shape[0] / 2);
      const f = fusedConvBiasAct(x, w, b, o.s ?? 1, pad, o.act, this.opts.precision);
      if (f) return f;
    }
    const y = this.conv2d(c, x, o);
    if (bn) {
      const f = this.nativeBatchNorm(bn, y, o.act);
      if (f) return f;
    }
    return applyAct(bn ? this.plainBatchNorm(bn, y) : y, o.act);
  }

  batchNorm(p: Tree<tf.Tensor>, x: tf.Tensor4D): tf.Tensor4D {
    return this.nativeBatchNorm(p, x, "none") ?? this.plainBatchNorm(p, x);
  }

  private nativeBatchNorm(bn: Tree<tf.Tensor>, y: tf.Tensor4D, act: Act): tf.Tensor4D | undefined {
    const f = fusedBatchNormAct(y, bn as unknown as BatchNormParams, act, { training: !!this.opts.training, eps: BN_EPS });
    if (!f) return undefined;
    if (f.mean) this.opts.stats?.set(bn, { mean: f.mean, variance: f.variance!, count: y.shape[0] * y.shape[1] * y.shape[2] });
    return f.y;
  }

  private plainBatchNorm(bn: Tree<tf.Tensor>, y: tf.Tensor4D): tf.Tensor4D {
    const gamma = leaf(bn, "weight");
    const beta = leaf(bn, "bias");
    if (this.opts.training) {
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      const [n, h, w] = y.shape;
      this.opts.stats?.set(bn, { mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D, count: n * h * w });
      const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, BN_EPS)));
      return tf.add(tf.mul(tf.sub(y, mean), scale), beta);
    }
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(leaf(bn, "running_var"), BN_EPS)));
    return tf.add(tf.mul(tf.sub(y, leaf(bn, "running_mean")), scale), beta);
  }

  act(x: tf.Tensor4D, a: Act): tf.Tensor4D {
    return fusedAct(x, a) ?? applyAct(x, a);
  }
  implicit(x: tf.Tensor4D, p: tf.Tensor, op: "add" | "mul"): tf.Tensor4D {
    const v = tf.reshape(p, [p.size]);
    return op === "add" ? tf.add(x, v) : tf.mul(x, v);
  }
  add(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
    return tf.add(a, b);
  }
  cat(xs: tf.Tensor4D[]): tf.Tensor4D {
    return xs.length === 1 ? xs[0] : tf.concat(xs, 3);
  }
  split(x: tf.Tensor4D, sizes: number[]): tf.Tensor4D[] {
    // A one-part SplitV has no working gradient in tfjs (it concatenates nothing).
    return sizes.length === 1 ? [x] : tf.split(x, sizes, 3);
  }
  avgPool(x: tf.Tensor4D, k: number, s: number, pad: number): tf.Tensor4D {
    return tf.avgPool(x, k, s, pad === 0 ? "valid" : pad);
  }
  maxPool(x: tf.Tensor4D, k: number, s: number, pad: number): tf.Tensor4D {
    return tf.maxPool(x, k, s, pad === 0 ? "valid" : pad);
  }
  resize(x: tf.Tensor4D, h: number, w: number): tf.Tensor4D {
    const [b, hi, wi, c] = x.shape;
    if (h === hi && w === wi) return x;
    if (h % hi || w % wi) throw new RangeError(`Cannot resize ${hi}x${wi} to ${h}x${w}: not an integer factor`);
    const fy = h / hi;
    const fx = w / wi;
    // Pixel replication by a broadcast product: exact gradients on every backend (ResizeNearestNeighborGrad
    // is wrong for batch > 1 on cpu, and tile has no rank-6 gradient).
    return tf.mul(x.reshape([b, hi, 1, wi, 1, c]), tf.ones([1, 1, fy, 1, fx, 1])).reshape([b, h, w, c]) as tf.Tensor4D;
  }
  shape(x: tf.Tensor4D): number[] {
    return x.shape;
  }
  weightShape(w: tf.Tensor): number[] {
    const [kh, kw, i, o] = w.shape;
    return [o, i, kh, kw];
  }
}
