/**
 * `CBLinear` and `CBFuse` (models/common.py): the CBNet-style routing of PGI's auxiliary reversible
 * branch (paper Sec. 4.1, Fig. 3(d)). CBLinear is one 1x1 conv with bias whose output is cut into
 * channel groups; CBFuse takes the selected group of each CBLinear output, resizes it (nearest) to
 * the main input's size and sums them with that input.
 * @module
 */
import type { Ops } from "../nn/ops.ts";
import { sub, type Tree } from "../nn/tree.ts";
import { conv2dShapes } from "../nn/conv.ts";

/** Arguments of `CBLinear(c1, c2s)`. */
export interface CBLinearArgs {
  c1: number;
  c2s: number[];
}

/** Parameter shapes of CBLinear. */
export function cbLinearShapes(a: CBLinearArgs): Tree<number[]> {
  return { conv: conv2dShapes(a.c1, a.c2s.reduce((s, c) => s + c, 0), 1, 1, true) };
}

/** Forward of CBLinear: the channel groups of one biased 1x1 conv, in order. */
export function cbLinearForward<T, P>(o: Ops<T, P>, p: Tree<P>, x: T, a: CBLinearArgs): T[] {
  return o.split(o.conv2d(sub(p, "conv"), x, { pad: 0 }), a.c2s);
}

/** Forward of `CBFuse(idx)`: `xs` are the CBLinear outputs, `x` the main-branch input. */
export function cbFuseForward<T, P>(o: Ops<T, P>, xs: T[][], x: T, idx: number[]): T {
  if (xs.length !== idx.length) {
    throw new RangeError(`Cannot apply CBFuse: ${idx.length} indices for ${xs.length} CBLinear inputs`);
  }
  const [, h, w] = o.shape(x);
  let y = x;
  xs.forEach((groups, i) => {
    const g = groups[idx[i]];
    if (!g) throw new RangeError(`Cannot apply CBFuse: index ${idx[i]} out of range for ${groups.length} groups`);
    y = o.add(y, o.resize(g, h, w));
  });
  return y;
}
