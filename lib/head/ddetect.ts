/**
 * `DDetect`, `DualDDetect`, `TripleDDetect` (models/yolo.py): the decoupled anchor-free head
 * (paper Sec. 4; PGI's auxiliary and main branches in Sec. 4.1). Per level a box branch
 * (Conv 3x3, grouped Conv 3x3 g=4, grouped 1x1 conv to 4 x 16 DFL logits) and a class branch
 * (Conv 3x3, Conv 3x3, 1x1 conv to nc logits); output per level `cat[box, cls]` (NHWC here).
 * Branch b uses keys `cv{2b+2}`, `cv{2b+3}` and `dfl`, `dfl2`, `dfl3`.
 * @module
 */
import type { Act, Ops } from "../nn/ops.ts";
import { sub, type Tree } from "../nn/tree.ts";
import { conv2dShapes, convForward, convShapes } from "../nn/conv.ts";

/** DFL bins per box side. */
export const REG_MAX = 16;

/** Arguments of a (multi-branch) DDetect head. */
export interface DDetectArgs {
  nc: number;
  /** Input channels of every level of every branch (branches concatenated, nl per branch). */
  ch: number[];
  /** 1 (DDetect), 2 (DualDDetect) or 3 (TripleDDetect). */
  branches: number;
  act: Act;
  /** `Detect` (yolov7-af): no grouped box convs and no make_divisible on the box width. */
  plain?: boolean;
}

/** `make_divisible` of utils/general.py: round up to a multiple of d. */
export function makeDivisible(x: number, d: number): number {
  return Math.ceil(x / d) * d;
}

/** Widths of a branch's box and class convs, from its first input's channels. */
export function headWidths(c0: number, nc: number, plain = false): { box: number; cls: number } {
  const box = Math.max(Math.floor(c0 / 4), REG_MAX * 4, 16);
  return { box: plain ? box : makeDivisible(box, 4), cls: Math.max(c0, Math.min(nc * 2, 128)) };
}

/** Key names of branch b: box convs, class convs, DFL. */
export function branchKeys(b: number): { box: string; cls: string; dfl: string } {
  return { box: `cv${2 * b + 2}`, cls: `cv${2 * b + 3}`, dfl: b === 0 ? "dfl" : `dfl${b + 1}` };
}

function levels(a: DDetectArgs): number {
  if (a.ch.length % a.branches) throw new RangeError(`Cannot build head: ${a.ch.length} inputs for ${a.branches} branches`);
  return a.ch.length / a.branches;
}

/** Parameter shapes of the head. */
export function ddetectShapes(a: DDetectArgs): Tree<number[]> {
  const nl = levels(a);
  const out: Tree<number[]> = {};
  for (let b = 0; b < a.branches; b++) {
    const ch = a.ch.slice(b * nl, (b + 1) * nl);
    const w = headWidths(ch[0], a.nc, a.plain);
    const k = branchKeys(b);
    const box: Tree<number[]> = {};
    const cls: Tree<number[]> = {};
    ch.forEach((c, i) => {
      box[i] = {
        0: convShapes({ c1: c, c2: w.box, k: 3, act: a.act }),
        1: convShapes({ c1: w.box, c2: w.box, k: 3, g: a.plain ? 1 : 4, act: a.act }),
        2: conv2dShapes(w.box, 4 * REG_MAX, 1, a.plain ? 1 : 4, true),
      };
      cls[i] = {
        0: convShapes({ c1: c, c2: w.cls, k: 3, act: a.act }),
        1: convShapes({ c1: w.cls, c2: w.cls, k: 3, act: a.act }),
        2: conv2dShapes(w.cls, a.nc, 1, 1, true),
      };
    });
    out[k.box] = box;
    out[k.cls] = cls;
    out[k.dfl] = { conv: { weight: [1, REG_MAX, 1, 1] } };
  }
  return out;
}

/** Raw head outputs: per branch, per level `cat[box logits (64), class logits (nc)]`. */
export function ddetectForward<T, P>(o: Ops<T, P>, p: Tree<P>, xs: T[], a: DDetectArgs): T[][] {
  const nl = levels(a);
  const out: T[][] = [];
  for (let b = 0; b < a.branches; b++) {
    const k = branchKeys(b);
    const w = headWidths(a.ch[b * nl], a.nc, a.plain);
    const g = a.plain ? 1 : 4;
    out.push(xs.slice(b * nl, (b + 1) * nl).map((x, i) => {
      const pb = sub(sub(p, k.box), i);
      const pc = sub(sub(p, k.cls), i);
      const c = a.ch[b * nl + i];
      let y = convForward(o, sub(pb, 0), x, { c1: c, c2: w.box, k: 3, act: a.act });
      y = convForward(o, sub(pb, 1), y, { c1: w.box, c2: w.box, k: 3, g, act: a.act });
      y = o.conv2d(sub(pb, 2), y, { g, pad: 0 });
      let z = convForward(o, sub(pc, 0), x, { c1: c, c2: w.cls, k: 3, act: a.act });
      z = convForward(o, sub(pc, 1), z, { c1: w.cls, c2: w.cls, k: 3, act: a.act });
      z = o.conv2d(sub(pc, 2), z, { pad: 0 });
      return o.cat([y, z]);
    }));
  }
  return out;
}

/** FLOPs of the DFL conv (16 -> 1, 1x1, on 4 sides) for `anchors` anchors of one decoded branch. */
export function dflFlops(anchors: number): number {
  return 2 * REG_MAX * 4 * anchors;
}
