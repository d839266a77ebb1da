/**
 * `SPPELAN` (models/common.py): spatial pyramid pooling in ELAN form: `cv1` (1x1), three cascaded
 * 5x5 stride-1 max-pools (`SP(5)`, equivalent to 5/9/13 pools), `cv5` (1x1) on the concatenation.
 * @module
 */
import type { Act, Ops } from "../nn/ops.ts";
import { sub, type Tree } from "../nn/tree.ts";
import { convForward, convShapes } from "../nn/conv.ts";

/** Arguments of `SPPELAN(c1, c2, c3)`. */
export interface SPPELANArgs {
  c1: number;
  c2: number;
  c3: number;
  act: Act;
}

/** Parameter shapes of SPPELAN (the pools cv2..cv4 have none). */
export function sppelanShapes(a: SPPELANArgs): Tree<number[]> {
  return { cv1: convShapes({ c1: a.c1, c2: a.c3, act: a.act }), cv5: convShapes({ c1: 4 * a.c3, c2: a.c2, act: a.act }) };
}

/** `SP(k, s)`: max-pool with padding k // 2. */
export function spForward<T, P>(o: Ops<T, P>, x: T, k = 3, s = 1): T {
  return o.maxPool(x, k, s, Math.floor(k / 2));
}

/** Forward of SPPELAN. */
export function sppelanForward<T, P>(o: Ops<T, P>, p: Tree<P>, x: T, a: SPPELANArgs): T {
  const ys = [convForward(o, sub(p, "cv1"), x, { c1: a.c1, c2: a.c3, act: a.act })];
  for (let i = 0; i < 3; i++) ys.push(spForward(o, ys[ys.length - 1], 5, 1));
  return convForward(o, sub(p, "cv5"), o.cat(ys), { c1: 4 * a.c3, c2: a.c2, act: a.act });
}
