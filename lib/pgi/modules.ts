/**
 * PGI's rows of the module table (paper Sec. 4.1): `CBLinear` / `CBFuse`, the routing of the
 * auxiliary reversible branch, and the multi-branch heads `DualDDetect` / `TripleDDetect` that train
 * auxiliary branches beside the main one.
 * @module
 */
import { as, detectHead, type ModuleDef, one, single } from "../graph/module_def.ts";
import { cbFuseForward, cbLinearForward, cbLinearShapes } from "./cb_linear.ts";

/** The PGI module rows, keyed by the names used in config rows. */
export const PGI_MODULES: Readonly<Record<string, ModuleDef>> = {
  CBLinear: {
    resolve: (r) => {
      const c2s = r.args[0];
      if (!Array.isArray(c2s) || !c2s.every((c) => Number.isInteger(c))) r.fail(`expected [c2s] (a list of channel counts), got ${JSON.stringify(r.args)}`);
      return { args: { c1: single(r), c2s }, c2: c2s as number[], n: r.n };
    },
    shapes: (a) => cbLinearShapes(as(a)),
    forward: (o, p, x, a) => cbLinearForward(o, p, one(x), as(a)),
  },
  CBFuse: {
    resolve: (r) => {
      const idx = r.args[0];
      if (!Array.isArray(idx) || idx.length !== r.ch.length - 1) r.fail(`expected [idx] with ${r.ch.length - 1} indices, got ${JSON.stringify(r.args)}`);
      return { args: { idx }, c2: r.ch[r.ch.length - 1] as number, n: r.n };
    },
    shapes: () => ({}),
    forward: (o, _p, x, a) => cbFuseForward(o, x.slice(0, -1) as never[][], x[x.length - 1] as never, a.idx as number[]),
  },
  DualDDetect: detectHead(2),
  TripleDDetect: detectHead(3),
};
