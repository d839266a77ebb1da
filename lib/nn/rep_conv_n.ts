/**
 * `RepConvN` (models/common.py; paper Sec. 4.2 "GELAN" uses RepConv without identity): a 3x3
 * Conv+BN branch plus a 1x1 Conv+BN branch, summed, then the activation. After fusing, one 3x3
 * conv with bias (`{conv: {weight, bias}}`).
 * @module
 */
import type { Act, Ops } from "./ops.ts";
import { sub, type Tree } from "./tree.ts";
import { convShapes } from "./conv.ts";

/** Arguments of `RepConvN(c1, c2, k=3, s=1, g=1)`. */
export interface RepConvNArgs {
  c1: number;
  c2: number;
  s?: number;
  g?: number;
  act: Act;
}

/** Parameter shapes of RepConvN (training form). */
export function repConvNShapes(a: RepConvNArgs): Tree<number[]> {
  return {
    conv1: convShapes({ c1: a.c1, c2: a.c2, k: 3, g: a.g, act: "none" }),
    conv2: convShapes({ c1: a.c1, c2: a.c2, k: 1, g: a.g, act: "none" }),
  };
}

/** Forward of RepConvN, in training form or fused form. */
export function repConvNForward<T, P>(o: Ops<T, P>, p: Tree<P>, x: T, a: RepConvNArgs): T {
  const s = a.s ?? 1;
  const g = a.g ?? 1;
  if (p.conv) return o.convUnit(p, x, { s, pad: 1, g, act: a.act });
  const y3 = o.convUnit(sub(p, "conv1"), x, { s, pad: 1, g, act: "none" });
  const y1 = o.convUnit(sub(p, "conv2"), x, { s, pad: 0, g, act: "none" });
  return o.act(o.add(y3, y1), a.act);
}
