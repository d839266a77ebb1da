/**
 * The module table of `parse_model` (models/yolo.py): for each module name of a config row, how
 * its constructor arguments and output channels are resolved, its parameter shapes and forward.
 * @module
 */
import type { Act, Ops } from "../nn/ops.ts";
import type { Tree } from "../nn/tree.ts";
import { convForward, convShapes } from "../nn/conv.ts";
import { aconvForward, aconvShapes, adownForward, adownShapes } from "../gelan/downsample.ts";
import { elan1Forward, elan1Shapes } from "../gelan/elan1.ts";
import { type GelanBlock, repNCSPELAN4Forward, repNCSPELAN4Shapes } from "../gelan/rep_ncsp_elan4.ts";
import { repNCSPForward, repNCSPShapes } from "../gelan/rep_ncsp.ts";
import { bottleneckForward, type BottleneckKind, bottleneckShapes } from "../gelan/bottlenecks.ts";
import { spForward, sppelanForward, sppelanShapes } from "../gelan/sppelan.ts";
import { cbFuseForward, cbLinearForward, cbLinearShapes } from "../pgi/cb_linear.ts";
import { mpForward, sppcspcForward, sppcspcShapes } from "../gelan/yolov7_blocks.ts";
import { ddetectForward, ddetectShapes, makeDivisible } from "../head/ddetect.ts";
import { repConvForward, repConvShapes } from "../nn/rep_conv.ts";
import { checkAnchors, idetectForward, idetectShapes } from "../head/idetect.ts";

/** A layer's output: one activation, CBLinear's channel groups, or a head's per-branch levels. */
export type LayerOut<T> = T | T[] | T[][];

/** What `resolve` sees of a row. */
export interface ResolveInput {
  /** Channels of each `from` input (a list for CBLinear outputs). */
  ch: (number | number[])[];
  args: unknown[];
  /** Repeats after depth_multiple. */
  n: number;
  nc: number;
  width: number;
  act: Act;
  /** Throws an error naming the config file and row. */
  fail(msg: string): never;
}

/** A resolved module: constructor arguments (plain JSON) and output channels. */
export interface Resolved {
  args: Record<string, unknown>;
  c2: number | number[];
  /** Repeats consumed by the module itself (CSP-style) are reported as 1. */
  n: number;
}

/** How one module name is built and run. */
export interface ModuleDef {
  resolve(r: ResolveInput): Resolved;
  shapes(args: Record<string, unknown>): Tree<number[]>;
  forward<T, P>(o: Ops<T, P>, p: Tree<P>, x: LayerOut<T>[], args: Record<string, unknown>): LayerOut<T>;
  /** True for detect heads. */
  head?: boolean;
}

function int(r: ResolveInput, v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v)) r.fail(`${what} must be an integer, got ${JSON.stringify(v)}`);
  return v;
}

function single(r: ResolveInput): number {
  const c = r.ch[0];
  if (typeof c !== "number") r.fail(`expected one tensor input, got CBLinear groups [${c}]`);
  return c;
}

/** Modules whose first arg is the (width-scaled) output channels: c1 from the input. */
function scaled(
  nArgs: [number, number],
  build: (r: ResolveInput, c1: number, c2: number) => Record<string, unknown>,
): ModuleDef["resolve"] {
  return (r) => {
    if (r.args.length < nArgs[0] || r.args.length > nArgs[1]) {
      r.fail(`expected ${nArgs[0] === nArgs[1] ? nArgs[0] : `${nArgs[0]} to ${nArgs[1]}`} args, got ${r.args.length}`);
    }
    const c2 = makeDivisible(int(r, r.args[0], "output channels") * r.width, 8);
    return { args: { ...build(r, single(r), c2), act: r.act }, c2, n: r.n };
  };
}

type A = Record<string, unknown>;
const act = (a: A) => a.act as Act;
// deno-lint-ignore no-explicit-any
const as = <T>(a: A) => a as any as T;

function one<T>(x: LayerOut<T>[]): T {
  return x[0] as T;
}

/** The module table, keyed by the names used in config rows. */
export const MODULES: Record<string, ModuleDef> = {
  Conv: {
    resolve: scaled([1, 4], (r, c1, c2) => ({
      c1, c2, k: r.args[1] ?? 1, s: r.args[2] ?? 1, ...(r.args[3] != null ? { p: r.args[3] } : {}),
    })),
    shapes: (a) => convShapes(as(a)),
    forward: (o, p, x, a) => convForward(o, p, one(x), as(a)),
  },
  AConv: { resolve: scaled([1, 1], (_r, c1, c2) => ({ c1, c2 })), shapes: (a) => aconvShapes(as(a)), forward: (o, p, x, a) => aconvForward(o, p, one(x), as(a)) },
  ADown: { resolve: scaled([1, 1], (_r, c1, c2) => ({ c1, c2 })), shapes: (a) => adownShapes(as(a)), forward: (o, p, x, a) => adownForward(o, p, one(x), as(a)) },
  ELAN1: {
    resolve: scaled([3, 3], (r, c1, c2) => ({ c1, c2, c3: int(r, r.args[1], "c3"), c4: int(r, r.args[2], "c4") })),
    shapes: (a) => elan1Shapes(as(a)),
    forward: (o, p, x, a) => elan1Forward(o, p, one(x), as(a)),
  },
  RepNCSPELAN4: {
    // [c2, c3, c4, c5=1] and, for the paper's ablations, [.., D_ELAN=2, block="CSP"].
    resolve: scaled([3, 6], (r, c1, c2) => {
      const block = (r.args[5] ?? "CSP") as GelanBlock;
      if (!["CSP", "Conv", "Res", "Dark"].includes(block)) r.fail(`unknown GELAN block "${block}": expected CSP, Conv, Res or Dark`);
      return {
        c1, c2, c3: int(r, r.args[1], "c3"), c4: int(r, r.args[2], "c4"), c5: int(r, r.args[3] ?? 1, "c5"),
        dElan: int(r, r.args[4] ?? 2, "D_ELAN"), block,
      };
    }),
    shapes: (a) => repNCSPELAN4Shapes(as(a)),
    forward: (o, p, x, a) => repNCSPELAN4Forward(o, p, one(x), as(a)),
  },
  SPPELAN: {
    resolve: scaled([2, 2], (r, c1, c2) => ({ c1, c2, c3: int(r, r.args[1], "c3") })),
    shapes: (a) => sppelanShapes(as(a)),
    forward: (o, p, x, a) => sppelanForward(o, p, one(x), as(a)),
  },
  RepNCSP: {
    resolve: (r) => {
      const res = scaled([1, 2], (rr, c1, c2) => ({ c1, c2, n: rr.n, shortcut: rr.args[1] ?? true }))(r);
      return { ...res, n: 1 };
    },
    shapes: (a) => repNCSPShapes(as(a)),
    forward: (o, p, x, a) => repNCSPForward(o, p, one(x), as(a)),
  },
  SP: {
    resolve: (r) => ({ args: { k: r.args[0] ?? 3, s: r.args[1] ?? 1 }, c2: single(r), n: r.n }),
    shapes: () => ({}),
    forward: (o, _p, x, a) => spForward(o, one(x), a.k as number, a.s as number),
  },
  Silence: { resolve: (r) => ({ args: {}, c2: single(r), n: r.n }), shapes: () => ({}), forward: (_o, _p, x) => one(x) },
  Upsample: {
    resolve: (r) => {
      if (r.args[2] !== undefined && r.args[2] !== "nearest") r.fail(`only nearest upsampling is supported, got ${r.args[2]}`);
      return { args: { factor: int(r, r.args[1] ?? 2, "scale factor") }, c2: single(r), n: r.n };
    },
    shapes: () => ({}),
    forward: (o, _p, x, a) => {
      const [, h, w] = o.shape(one(x));
      return o.resize(one(x), h * (a.factor as number), w * (a.factor as number));
    },
  },
  Concat: {
    resolve: (r) => ({ args: { d: r.args[0] ?? 1 }, c2: r.ch.reduce((s: number, c) => s + (c as number), 0), n: r.n }),
    shapes: () => ({}),
    forward: (o, _p, x) => o.cat(x as never[]),
  },
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
};

function head(branches: number, plain = false): ModuleDef {
  return {
    head: true,
    resolve: (r) => {
      if (r.ch.length % branches || r.ch.length === 0) r.fail(`expected a multiple of ${branches} inputs, got ${r.ch.length}`);
      return { args: { nc: r.nc, ch: r.ch, branches, act: r.act, ...(plain ? { plain } : {}) }, c2: 0, n: 1 };
    },
    shapes: (a) => ddetectShapes(as(a)),
    forward: (o, p, x, a) => ddetectForward(o, p, x as never[], as(a)),
  };
}
MODULES.DDetect = head(1);
MODULES.DualDDetect = head(2);
MODULES.TripleDDetect = head(3);
MODULES.Detect = head(1, true);

// YOLOv7 pieces of the paper's baseline yolov7-af.yaml.
MODULES.MP = {
  resolve: (r) => ({ args: { k: r.args[0] ?? 2 }, c2: single(r), n: r.n }),
  shapes: () => ({}),
  forward: (o, _p, x, a) => mpForward(o, one(x), a.k as number),
};
MODULES.SPPCSPC = {
  resolve: (r) => ({ ...scaled([1, 1], (_r, c1, c2) => ({ c1, c2 }))(r), n: 1 }),
  shapes: (a) => sppcspcShapes(as(a)),
  forward: (o, p, x, a) => sppcspcForward(o, p, one(x), as(a)),
};

// The anchor-based YOLOv7 (cfg/training/yolov7.yaml of WongKinYiu/yolov7): RepConv and IDetect.
MODULES.RepConv = {
  resolve: scaled([1, 3], (r, c1, c2) => {
    if ((r.args[1] ?? 3) !== 3) r.fail(`RepConv needs k = 3, got ${r.args[1]}`);
    return { c1, c2, s: r.args[2] ?? 1 };
  }),
  shapes: (a) => repConvShapes(as(a)),
  forward: (o, p, x, a) => repConvForward(o, p, one(x), as(a)),
};
MODULES.IDetect = {
  head: true,
  resolve: (r) => {
    const bad = checkAnchors(r.args[1], r.ch.length);
    if (bad) r.fail(bad);
    return { args: { nc: r.nc, anchors: r.args[1], ch: r.ch, branches: 1 }, c2: 0, n: 1 };
  },
  shapes: (a) => idetectShapes(as(a)),
  forward: (o, p, x, a) => idetectForward(o, p, x as never[], as(a)),
};

// Residual units of models/common.py as standalone layers (used by the ablation configs).
for (const kind of ["Bottleneck", "BottleneckBase", "Res", "RepNBottleneck"] as BottleneckKind[]) {
  MODULES[kind] = {
    resolve: scaled([1, 3], (r, c1, c2) => ({ kind, c1, c2, shortcut: r.args[1] ?? true, e: r.args[2] ?? 0.5 })),
    shapes: (a) => bottleneckShapes(as(a)),
    forward: (o, p, x, a) => bottleneckForward(o, p, one(x), as(a)),
  };
}

/** Normalise a row's module name (`nn.Upsample` -> `Upsample`). */
export function moduleName(name: string): string {
  return name.replace(/^(torch\.)?nn\./, "");
}
