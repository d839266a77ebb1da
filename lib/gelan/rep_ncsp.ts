/**
 * `RepNCSP` (models/common.py): the CSP block with RepN bottlenecks used inside RepNCSPELAN4
 * (paper Sec. 4.2, Fig. 4). `cv3(cat[m(cv1(x)), cv2(x)])`, bottleneck path first. With another
 * residual unit it is the `CSP` / `CSPBase` block of the ablations.
 * @module
 */
import type { Act, Ops } from "../nn/ops.ts";
import { sub, type Tree } from "../nn/tree.ts";
import { convForward, convShapes } from "../nn/conv.ts";
import { bottleneckForward, type BottleneckKind, bottleneckShapes } from "./bottlenecks.ts";

/** Arguments of `RepNCSP(c1, c2, n=1, shortcut=True, g=1, e=0.5)`. */
export interface RepNCSPArgs {
  c1: number;
  c2: number;
  n?: number;
  shortcut?: boolean;
  g?: number;
  e?: number;
  act: Act;
  /** Residual unit inside (RepNCSP: RepNBottleneck; CSP: Bottleneck; CSPBase: BottleneckBase). */
  unit?: BottleneckKind;
}

function inner(a: RepNCSPArgs) {
  const h = Math.floor(a.c2 * (a.e ?? 0.5));
  const unit = { kind: a.unit ?? "RepNBottleneck", c1: h, c2: h, shortcut: a.shortcut, g: a.g, e: 1.0, act: a.act } as const;
  return { h, unit };
}

/** Parameter shapes of RepNCSP. */
export function repNCSPShapes(a: RepNCSPArgs): Tree<number[]> {
  const { h, unit } = inner(a);
  const m: Tree<number[]> = {};
  for (let j = 0; j < (a.n ?? 1); j++) m[j] = bottleneckShapes(unit);
  return {
    cv1: convShapes({ c1: a.c1, c2: h, act: a.act }),
    cv2: convShapes({ c1: a.c1, c2: h, act: a.act }),
    cv3: convShapes({ c1: 2 * h, c2: a.c2, act: a.act }),
    m,
  };
}

/** Forward of RepNCSP. */
export function repNCSPForward<T, P>(o: Ops<T, P>, p: Tree<P>, x: T, a: RepNCSPArgs): T {
  const { h, unit } = inner(a);
  let y = convForward(o, sub(p, "cv1"), x, { c1: a.c1, c2: h, act: a.act });
  const m = sub(p, "m");
  for (let j = 0; j < (a.n ?? 1); j++) y = bottleneckForward(o, sub(m, j), y, unit);
  const z = convForward(o, sub(p, "cv2"), x, { c1: a.c1, c2: h, act: a.act });
  return convForward(o, sub(p, "cv3"), o.cat([y, z]), { c1: 2 * h, c2: a.c2, act: a.act });
}
