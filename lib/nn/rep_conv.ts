/**
 * `RepConv` of YOLOv7 (models/common.py; RepVGG re-parameterisation, used by the YOLOv7 head in front of
 * IDetect): a 3x3 conv + BN branch (`rbr_dense`), a 1x1 conv + BN branch (`rbr_1x1`) and, when c1 == c2
 * and the stride is 1, a BatchNorm identity branch (`rbr_identity`), summed, then the activation. After
 * fusing (`fuse_repvgg_block`) one biased 3x3 conv, `rbr_reparam`.
 * @module
 */
import type { Act, Ops } from "./ops.ts";
import { sub, type Tree } from "./tree.ts";
import { bnShapes, conv2dShapes } from "./conv.ts";

/** Arguments of `RepConv(c1, c2, k=3, s=1, p=None, g=1)`. */
export interface RepConvArgs {
  c1: number;
  c2: number;
  s?: number;
  g?: number;
  act: Act;
}

/** Whether the RepConv has the BN identity branch (c1 == c2, stride 1). */
export function hasIdentity(a: RepConvArgs): boolean {
  return a.c1 === a.c2 && (a.s ?? 1) === 1;
}

/** Parameter shapes of RepConv (training form), keyed as the official state_dict. */
export function repConvShapes(a: RepConvArgs): Tree<number[]> {
  const g = a.g ?? 1;
  return {
    ...(hasIdentity(a) ? { rbr_identity: bnShapes(a.c1) } : {}),
    rbr_dense: { 0: conv2dShapes(a.c1, a.c2, 3, g), 1: bnShapes(a.c2) },
    rbr_1x1: { 0: conv2dShapes(a.c1, a.c2, 1, g), 1: bnShapes(a.c2) },
  };
}

/** A `nn.Sequential(Conv2d, BatchNorm2d)` branch seen as a Conv unit `{conv, bn}`. */
function unit<P>(p: Tree<P>, key: string): Tree<P> {
  const b = sub(p, key);
  return { conv: sub(b, 0), bn: sub(b, 1) };
}

/** Forward of RepConv, in training form or fused form (`rbr_reparam`). */
export function repConvForward<T, P>(o: Ops<T, P>, p: Tree<P>, x: T, a: RepConvArgs): T {
  const s = a.s ?? 1;
  const g = a.g ?? 1;
  if (p.rbr_reparam) return o.convUnit({ conv: sub(p, "rbr_reparam") }, x, { s, pad: 1, g, act: a.act });
  const y3 = o.convUnit(unit(p, "rbr_dense"), x, { s, pad: 1, g, act: "none" });
  const y1 = o.convUnit(unit(p, "rbr_1x1"), x, { s, pad: 0, g, act: "none" });
  const y = o.add(y3, y1);
  return o.act(p.rbr_identity ? o.add(y, o.batchNorm(sub(p, "rbr_identity"), x)) : y, a.act);
}
