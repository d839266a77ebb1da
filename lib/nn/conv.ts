/**
 * `Conv` (models/common.py): Conv2d without bias + BatchNorm2d (eps 1e-3) + SiLU, symmetric
 * padding k // 2. Also the parameter shapes of plain `nn.Conv2d` and `nn.BatchNorm2d`.
 * @module
 */
import type { Act, Ops } from "./ops.ts";
import type { Tree } from "./tree.ts";

/** Arguments of a Conv block: `Conv(c1, c2, k=1, s=1, p=None, g=1)`. */
export interface ConvArgs {
  c1: number;
  c2: number;
  k?: number;
  s?: number;
  /** Padding; default k // 2 (autopad). */
  p?: number;
  g?: number;
  act: Act;
}

/** Parameter shapes of `nn.BatchNorm2d(c)` including running statistics. */
export function bnShapes(c: number): Tree<number[]> {
  return { weight: [c], bias: [c], running_mean: [c], running_var: [c], num_batches_tracked: [] };
}

/** Parameter shapes of `nn.Conv2d(c1, c2, k, groups=g, bias=bias)` in PyTorch order. */
export function conv2dShapes(c1: number, c2: number, k = 1, g = 1, bias = false): Tree<number[]> {
  if (c1 % g || c2 % g) throw new RangeError(`Cannot build a conv with groups ${g}: channels ${c1} -> ${c2} not divisible`);
  return bias ? { weight: [c2, c1 / g, k, k], bias: [c2] } : { weight: [c2, c1 / g, k, k] };
}

/** Parameter shapes of a Conv block. */
export function convShapes(a: ConvArgs): Tree<number[]> {
  return { conv: conv2dShapes(a.c1, a.c2, a.k ?? 1, a.g ?? 1), bn: bnShapes(a.c2) };
}

/** Forward of a Conv block. */
export function convForward<T, P>(o: Ops<T, P>, p: Tree<P>, x: T, a: ConvArgs): T {
  return o.convUnit(p, x, { s: a.s ?? 1, pad: a.p ?? Math.floor((a.k ?? 1) / 2), g: a.g ?? 1, act: a.act });
}
