/**
 * Residual units of models/common.py used inside CSP / GELAN computational blocks (paper
 * Sec. 4.2, Table 2): `RepNBottleneck` (RepConvN 3x3 -> Conv 3x3), `Bottleneck` (3x3 -> 3x3),
 * `BottleneckBase` = Darknet residual (1x1 -> 3x3), and `Res` = ResNet bottleneck (1x1 -> 3x3 -> 1x1).
 * The residual is added iff `shortcut && c1 == c2`.
 * @module
 */
import type { Act, Ops } from "../nn/ops.ts";
import { sub, type Tree } from "../nn/tree.ts";
import { convForward, convShapes } from "../nn/conv.ts";
import { repConvNForward, repConvNShapes } from "../nn/rep_conv_n.ts";

/** Kinds of residual unit. */
export type BottleneckKind = "RepNBottleneck" | "Bottleneck" | "BottleneckBase" | "Res";

/** Arguments shared by the residual units: `(c1, c2, shortcut=True, g=1, e=0.5)`. */
export interface BottleneckArgs {
  kind: BottleneckKind;
  c1: number;
  c2: number;
  shortcut?: boolean;
  g?: number;
  e?: number;
  act: Act;
}

function hidden(a: BottleneckArgs): number {
  return Math.floor(a.c2 * (a.e ?? 0.5));
}

/** Parameter shapes of a residual unit. */
export function bottleneckShapes(a: BottleneckArgs): Tree<number[]> {
  const c = hidden(a);
  const { c1, c2, act } = a;
  switch (a.kind) {
    case "RepNBottleneck":
      return { cv1: repConvNShapes({ c1, c2: c, act }), cv2: convShapes({ c1: c, c2, k: 3, g: a.g, act }) };
    case "Bottleneck":
      return { cv1: convShapes({ c1, c2: c, k: 3, act }), cv2: convShapes({ c1: c, c2, k: 3, g: a.g, act }) };
    case "BottleneckBase":
      return { cv1: convShapes({ c1, c2: c, k: 1, act }), cv2: convShapes({ c1: c, c2, k: 3, act }) };
    case "Res":
      return {
        cv1: convShapes({ c1, c2: c, k: 1, act }),
        cv2: convShapes({ c1: c, c2: c, k: 3, g: a.g, act }),
        cv3: convShapes({ c1: c, c2, k: 1, act }),
      };
  }
}

/** Forward of a residual unit. */
export function bottleneckForward<T, P>(o: Ops<T, P>, p: Tree<P>, x: T, a: BottleneckArgs): T {
  const c = hidden(a);
  const { c1, c2, act } = a;
  let y: T;
  switch (a.kind) {
    case "RepNBottleneck":
      y = repConvNForward(o, sub(p, "cv1"), x, { c1, c2: c, act });
      y = convForward(o, sub(p, "cv2"), y, { c1: c, c2, k: 3, g: a.g, act });
      break;
    case "Bottleneck":
      y = convForward(o, sub(p, "cv1"), x, { c1, c2: c, k: 3, act });
      y = convForward(o, sub(p, "cv2"), y, { c1: c, c2, k: 3, g: a.g, act });
      break;
    case "BottleneckBase":
      y = convForward(o, sub(p, "cv1"), x, { c1, c2: c, k: 1, act });
      y = convForward(o, sub(p, "cv2"), y, { c1: c, c2, k: 3, act });
      break;
    case "Res":
      y = convForward(o, sub(p, "cv1"), x, { c1, c2: c, k: 1, act });
      y = convForward(o, sub(p, "cv2"), y, { c1: c, c2: c, k: 3, g: a.g, act });
      y = convForward(o, sub(p, "cv3"), y, { c1: c, c2, k: 1, act });
      break;
  }
  return (a.shortcut ?? true) && c1 === c2 ? o.add(x, y) : y;
}
