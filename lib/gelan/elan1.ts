/**
 * `ELAN1` (models/common.py): the first ELAN block of the T and S models (paper Sec. 4.2): like
 * RepNCSPELAN4 with plain 3x3 Convs as the two computational branches.
 * @module
 */
import type { Act, Ops } from "../nn/ops.ts";
import { sub, type Tree } from "../nn/tree.ts";
import { convForward, convShapes } from "../nn/conv.ts";

/** Arguments of `ELAN1(c1, c2, c3, c4)`. */
export interface ELAN1Args {
  c1: number;
  c2: number;
  c3: number;
  c4: number;
  act: Act;
}

/** Parameter shapes of ELAN1. */
export function elan1Shapes(a: ELAN1Args): Tree<number[]> {
  return {
    cv1: convShapes({ c1: a.c1, c2: a.c3, act: a.act }),
    cv2: convShapes({ c1: a.c3 / 2, c2: a.c4, k: 3, act: a.act }),
    cv3: convShapes({ c1: a.c4, c2: a.c4, k: 3, act: a.act }),
    cv4: convShapes({ c1: a.c3 + 2 * a.c4, c2: a.c2, act: a.act }),
  };
}

/** Forward of ELAN1: `cv4(cat[a, b, cv2(b), cv3(cv2(b))])` with `a, b` the halves of `cv1(x)`. */
export function elan1Forward<T, P>(o: Ops<T, P>, p: Tree<P>, x: T, a: ELAN1Args): T {
  const [y0, y1] = o.split(convForward(o, sub(p, "cv1"), x, { c1: a.c1, c2: a.c3, act: a.act }), [a.c3 / 2, a.c3 / 2]);
  const y2 = convForward(o, sub(p, "cv2"), y1, { c1: a.c3 / 2, c2: a.c4, k: 3, act: a.act });
  const y3 = convForward(o, sub(p, "cv3"), y2, { c1: a.c4, c2: a.c4, k: 3, act: a.act });
  return convForward(o, sub(p, "cv4"), o.cat([y0, y1, y2, y3]), { c1: a.c3 + 2 * a.c4, c2: a.c2, act: a.act });
}
