/**
 * The module table of `parse_model` (models/yolo.py) for the YOLOv9 family: for each module name of
 * a config row, how its constructor arguments and output channels are resolved, its parameter shapes
 * and forward. GELAN's blocks, the heads and YOLOv7's pieces are here; PGI's rows come from `lib/pgi`.
 * @module
 */
import { convForward, convShapes } from "../nn/conv.ts";
import { aconvForward, aconvShapes, adownForward, adownShapes } from "../gelan/downsample.ts";
import { elan1Forward, elan1Shapes } from "../gelan/elan1.ts";
import { GELAN_BLOCKS, GELAN_DEFAULTS, type GelanBlock, repNCSPELAN4Forward, repNCSPELAN4Shapes } from "../gelan/rep_ncsp_elan4.ts";
import { repNCSPForward, repNCSPShapes } from "../gelan/rep_ncsp.ts";
import { bottleneckForward, type BottleneckKind, bottleneckShapes } from "../gelan/bottlenecks.ts";
import { spForward, sppelanForward, sppelanShapes } from "../gelan/sppelan.ts";
import { mpForward, sppcspcForward, sppcspcShapes } from "../gelan/yolov7_blocks.ts";
import { as, detectHead, int, type ModuleDef, one, scaled, single } from "../graph/module_def.ts";
import { PGI_MODULES } from "../pgi/modules.ts";
import { repConvForward, repConvShapes } from "../nn/rep_conv.ts";
import { checkAnchors, idetectForward, idetectShapes } from "../head/idetect.ts";

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
      const block = (r.args[5] ?? GELAN_DEFAULTS.block) as GelanBlock;
      if (!GELAN_BLOCKS.includes(block)) r.fail(`unknown GELAN block "${block}": expected one of ${GELAN_BLOCKS.join(", ")}`);
      return {
        c1, c2, c3: int(r, r.args[1], "c3"), c4: int(r, r.args[2], "c4"), c5: int(r, r.args[3] ?? GELAN_DEFAULTS.c5, "c5"),
        dElan: int(r, r.args[4] ?? GELAN_DEFAULTS.dElan, "D_ELAN"), block,
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
};

MODULES.DDetect = detectHead(1);
MODULES.Detect = detectHead(1, true);
Object.assign(MODULES, PGI_MODULES);

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
