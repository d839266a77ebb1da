/**
 * `RepNCSPELAN4` (models/common.py): the GELAN block of paper Sec. 4.2 / Fig. 4(d). `cv1` (1x1)
 * output is split in halves `a, b`; each of `D_ELAN` computational branches applies "any block"
 * (RepNCSP with `D_CSP` bottlenecks in the official models) then a 3x3 Conv to the previous output;
 * the final 1x1 Conv takes `cat[a, b, u1, ..., uD]`.
 *
 * The official block is `D_ELAN = 2` with RepNCSP; the paper's ablations (Tables 2 and 3) vary
 * the block type (`Conv`, `Res`, `Dark`, `CSP` = RepNCSP) and both depths, exposed here as options.
 * Keys: `cv1`, `cv2` ... `cv{D+1}` (each `.0` block, `.1` Conv 3x3), `cv{D+2}` (the final 1x1).
 * @module
 */
import type { Act, Ops } from "../nn/ops.ts";
import { sub, type Tree } from "../nn/tree.ts";
import { convForward, convShapes } from "../nn/conv.ts";
import { repNCSPForward, repNCSPShapes } from "./rep_ncsp.ts";
import { bottleneckForward, bottleneckShapes } from "./bottlenecks.ts";

/** "Any block" inside GELAN (paper Table 2): CSP = RepNCSP (the official choice). */
export type GelanBlock = "CSP" | "Conv" | "Res" | "Dark";

/** Every {@link GelanBlock}, in Table 2's order. */
export const GELAN_BLOCKS: readonly GelanBlock[] = ["CSP", "Conv", "Res", "Dark"];

/** The official block's values of the ablation options: D_CSP 1, D_ELAN 2, RepNCSP ("CSP"). */
export const GELAN_DEFAULTS: Readonly<{ c5: number; dElan: number; block: GelanBlock }> = { c5: 1, dElan: 2, block: "CSP" };

/** Arguments of `RepNCSPELAN4(c1, c2, c3, c4, c5=1)` plus the ablation options. */
export interface RepNCSPELAN4Args {
  c1: number;
  c2: number;
  /** ELAN part channels (split in half). */
  c3: number;
  /** Width of each computational branch. */
  c4: number;
  /** D_CSP: bottlenecks per RepNCSP (or repeats of the other block types). */
  c5?: number;
  /** D_ELAN: number of computational branches (2 in every official model). */
  dElan?: number;
  block?: GelanBlock;
  act: Act;
}

/** `a` with every ablation option filled from {@link GELAN_DEFAULTS}. */
function withDefaults(a: RepNCSPELAN4Args): Required<RepNCSPELAN4Args> {
  return { ...a, c5: a.c5 ?? GELAN_DEFAULTS.c5, dElan: a.dElan ?? GELAN_DEFAULTS.dElan, block: a.block ?? GELAN_DEFAULTS.block };
}

function blockShapes(kind: GelanBlock, c1: number, c2: number, n: number, act: Act): Tree<number[]> {
  if (kind === "CSP") return repNCSPShapes({ c1, c2, n, act });
  const one = (cin: number): Tree<number[]> =>
    kind === "Conv"
      ? convShapes({ c1: cin, c2, k: 3, act })
      : bottleneckShapes({ kind: kind === "Res" ? "Res" : "BottleneckBase", c1: cin, c2, act });
  if (n === 1) return one(c1);
  const seq: Tree<number[]> = {};
  for (let j = 0; j < n; j++) seq[j] = one(j ? c2 : c1);
  return seq;
}

function blockForward<T, P>(o: Ops<T, P>, p: Tree<P>, x: T, kind: GelanBlock, c1: number, c2: number, n: number, act: Act): T {
  if (kind === "CSP") return repNCSPForward(o, p, x, { c1, c2, n, act });
  const one = (q: Tree<P>, y: T, cin: number): T =>
    kind === "Conv"
      ? convForward(o, q, y, { c1: cin, c2, k: 3, act })
      : bottleneckForward(o, q, y, { kind: kind === "Res" ? "Res" : "BottleneckBase", c1: cin, c2, act });
  if (n === 1) return one(p, x, c1);
  let y = x;
  for (let j = 0; j < n; j++) y = one(sub(p, j), y, j ? c2 : c1);
  return y;
}

/** Parameter shapes of RepNCSPELAN4. */
export function repNCSPELAN4Shapes(args: RepNCSPELAN4Args): Tree<number[]> {
  const a = withDefaults(args);
  const d = a.dElan;
  const out: Tree<number[]> = { cv1: convShapes({ c1: a.c1, c2: a.c3, act: a.act }) };
  for (let i = 0; i < d; i++) {
    const cin = i === 0 ? a.c3 / 2 : a.c4;
    out[`cv${i + 2}`] = {
      0: blockShapes(a.block, cin, a.c4, a.c5, a.act),
      1: convShapes({ c1: a.c4, c2: a.c4, k: 3, act: a.act }),
    };
  }
  out[`cv${d + 2}`] = convShapes({ c1: a.c3 + d * a.c4, c2: a.c2, act: a.act });
  return out;
}

/** Forward of RepNCSPELAN4. */
export function repNCSPELAN4Forward<T, P>(o: Ops<T, P>, p: Tree<P>, x: T, args: RepNCSPELAN4Args): T {
  const a = withDefaults(args);
  if (a.c3 % 2) throw new RangeError(`Cannot build RepNCSPELAN4: c3 must be even, got ${a.c3}`);
  const d = a.dElan;
  // A copy: tfjs keeps the returned array as the op's outputs on the gradient tape.
  const parts = [...o.split(convForward(o, sub(p, "cv1"), x, { c1: a.c1, c2: a.c3, act: a.act }), [a.c3 / 2, a.c3 / 2])];
  let y = parts[1];
  for (let i = 0; i < d; i++) {
    const q = sub(p, `cv${i + 2}`);
    const cin = i === 0 ? a.c3 / 2 : a.c4;
    y = blockForward(o, sub(q, 0), y, a.block, cin, a.c4, a.c5, a.act);
    y = convForward(o, sub(q, 1), y, { c1: a.c4, c2: a.c4, k: 3, act: a.act });
    parts.push(y);
  }
  return convForward(o, sub(p, `cv${d + 2}`), o.cat(parts), { c1: a.c3 + d * a.c4, c2: a.c2, act: a.act });
}
