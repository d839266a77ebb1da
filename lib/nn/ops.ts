/**
 * The operations a block is written against. One implementation runs tfjs tensors
 * ({@link TensorOps}); another only propagates shapes and counts FLOPs ({@link ShapeOps}), so the
 * same block code gives outputs, shapes, parameter counts and GFLOPs.
 * @module
 */
import type { Tree } from "./tree.ts";

/** Activation of a Conv block. `gelan.yaml`/`yolov9.yaml` use ReLU, everything else SiLU. */
export type Act = "silu" | "relu" | "none";

/** Options of a convolution: stride, symmetric padding (default k // 2), groups. */
export interface ConvOpts {
  s?: number;
  pad?: number;
  g?: number;
}

/**
 * Operations over activations `T` (NHWC) with parameter leaves `P`. Conv parameters follow the
 * official state_dict layout: a Conv unit is `{conv: {weight[, bias]}, bn?: {...}}`.
 */
export interface Ops<T, P> {
  /** `Conv` of models/common.py: conv, then BatchNorm (or the folded bias), then the activation. */
  convUnit(p: Tree<P>, x: T, o: ConvOpts & { act: Act }): T;
  /** A `nn.BatchNorm2d` alone (RepConv's identity branch): running statistics, or batch statistics in train mode. */
  batchNorm(p: Tree<P>, x: T): T;
  /** A plain `nn.Conv2d` with optional bias: `p = {weight[, bias]}`. */
  conv2d(p: Tree<P>, x: T, o?: ConvOpts): T;
  act(x: T, a: Act): T;
  /** Per-channel parameter added to or multiplied into `x` (YOLOR's ImplicitA / ImplicitM, `p` of C values). */
  implicit(x: T, p: P, op: "add" | "mul"): T;
  add(a: T, b: T): T;
  cat(xs: T[]): T;
  split(x: T, sizes: number[]): T[];
  avgPool(x: T, k: number, s: number, pad: number): T;
  maxPool(x: T, k: number, s: number, pad: number): T;
  /** Nearest-neighbour resize to (h, w) by an integer factor (pixel replication). */
  resize(x: T, h: number, w: number): T;
  /** NHWC shape. */
  shape(x: T): number[];
  /** The weight shape of a conv in PyTorch order [out, in/groups, kh, kw]. */
  weightShape(w: P): number[];
}
