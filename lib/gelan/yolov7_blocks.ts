/**
 * YOLOv7 pieces used by the paper's baseline `yolov7-af.yaml` (Table 6): `MP` (2x2 max-pool,
 * stride 2) and `SPPCSPC` (SPP inside a CSP block) of models/common.py.
 * @module
 */
import type { Act, Ops } from "../nn/ops.ts";
import { sub, type Tree } from "../nn/tree.ts";
import { convForward, convShapes } from "../nn/conv.ts";

/** `MP(k=2)`: max-pool k x k, stride k. */
export function mpForward<T, P>(o: Ops<T, P>, x: T, k = 2): T {
  return o.maxPool(x, k, k, 0);
}

/** Arguments of `SPPCSPC(c1, c2, n=1, shortcut=False, g=1, e=0.5, k=(5, 9, 13))`. */
export interface SPPCSPCArgs {
  c1: number;
  c2: number;
  e?: number;
  k?: number[];
  act: Act;
}

const POOLS = [5, 9, 13];

function convs(a: SPPCSPCArgs) {
  const c = Math.floor(2 * a.c2 * (a.e ?? 0.5));
  const { c1, c2, act } = a;
  const n = (a.k ?? POOLS).length;
  return {
    cv1: { c1, c2: c, act }, cv2: { c1, c2: c, act }, cv3: { c1: c, c2: c, k: 3, act }, cv4: { c1: c, c2: c, act },
    cv5: { c1: (n + 1) * c, c2: c, act }, cv6: { c1: c, c2: c, k: 3, act }, cv7: { c1: 2 * c, c2, act },
  };
}

/** Parameter shapes of SPPCSPC. */
export function sppcspcShapes(a: SPPCSPCArgs): Tree<number[]> {
  return Object.fromEntries(Object.entries(convs(a)).map(([k, c]) => [k, convShapes(c)]));
}

/** Forward of SPPCSPC: `cv7(cat[cv6(cv5(cat[x1, pools(x1)])), cv2(x)])` with `x1 = cv4(cv3(cv1(x)))`. */
export function sppcspcForward<T, P>(o: Ops<T, P>, p: Tree<P>, x: T, a: SPPCSPCArgs): T {
  const c = convs(a);
  const f = (k: keyof typeof c, y: T) => convForward(o, sub(p, k), y, c[k]);
  const x1 = f("cv4", f("cv3", f("cv1", x)));
  const pooled = (a.k ?? POOLS).map((k) => o.maxPool(x1, k, 1, Math.floor(k / 2)));
  const y1 = f("cv6", f("cv5", o.cat([x1, ...pooled])));
  return f("cv7", o.cat([y1, f("cv2", x)]));
}
