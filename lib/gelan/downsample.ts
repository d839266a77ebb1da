/**
 * GELAN down-sampling blocks (models/common.py): `AConv` (T/S/M: avg-pool 2x2 s1, then Conv 3x3 s2)
 * and `ADown` (C/E: avg-pool 2x2 s1, split channels; half 3x3 s2 Conv, half max-pool 3x3 s2 p1 +
 * 1x1 Conv; concatenated).
 * @module
 */
import type { Act, Ops } from "../nn/ops.ts";
import { sub, type Tree } from "../nn/tree.ts";
import { convForward, convShapes } from "../nn/conv.ts";

/** Arguments of `AConv(c1, c2)` / `ADown(c1, c2)`. */
export interface DownArgs {
  c1: number;
  c2: number;
  act: Act;
}

/** Parameter shapes of AConv. */
export function aconvShapes(a: DownArgs): Tree<number[]> {
  return { cv1: convShapes({ c1: a.c1, c2: a.c2, k: 3, act: a.act }) };
}

/** Forward of AConv. */
export function aconvForward<T, P>(o: Ops<T, P>, p: Tree<P>, x: T, a: DownArgs): T {
  return convForward(o, sub(p, "cv1"), o.avgPool(x, 2, 1, 0), { c1: a.c1, c2: a.c2, k: 3, s: 2, p: 1, act: a.act });
}

/** Parameter shapes of ADown. */
export function adownShapes(a: DownArgs): Tree<number[]> {
  const c = Math.floor(a.c2 / 2);
  return {
    cv1: convShapes({ c1: a.c1 / 2, c2: c, k: 3, act: a.act }),
    cv2: convShapes({ c1: a.c1 / 2, c2: c, k: 1, act: a.act }),
  };
}

/** Forward of ADown. */
export function adownForward<T, P>(o: Ops<T, P>, p: Tree<P>, x: T, a: DownArgs): T {
  if (a.c1 % 2) throw new RangeError(`Cannot build ADown: input channels must be even, got ${a.c1}`);
  const c = Math.floor(a.c2 / 2);
  const [x1, x2] = o.split(o.avgPool(x, 2, 1, 0), [a.c1 / 2, a.c1 / 2]);
  const y1 = convForward(o, sub(p, "cv1"), x1, { c1: a.c1 / 2, c2: c, k: 3, s: 2, p: 1, act: a.act });
  const y2 = convForward(o, sub(p, "cv2"), o.maxPool(x2, 3, 2, 1), { c1: a.c1 / 2, c2: c, k: 1, act: a.act });
  return o.cat([y1, y2]);
}
