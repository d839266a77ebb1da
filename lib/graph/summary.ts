/**
 * Model summary: parameter counts (training and fused) and GFLOPs (2 x conv multiply-adds, as the
 * official `model_info` reports them) from the layer graph alone, without allocating weights.
 * @module
 */
import { flattenTree, type Tree } from "../nn/tree.ts";
import { ShapeOps } from "../nn/shape_ops.ts";
import { dflFlops } from "../head/ddetect.ts";
import { isAnchorBased, layerShapes, type ModelSpec, runLayer } from "./spec.ts";
import type { LayerOut } from "./module_def.ts";
import { fuseTree, SHAPE_FOLDER } from "./fuse.ts";

/** Parameter counts and GFLOPs of one layer or a model. */
export interface Cost {
  params: number;
  params_fused: number;
  gflops: number;
  gflops_fused: number;
}

/** One row of the per-layer table. */
export interface LayerRow extends Cost {
  i: number;
  from: number | number[];
  n: number;
  module: string;
  args: unknown[];
}

const STATE_KEYS = new Set(["running_mean", "running_var", "num_batches_tracked"]);

/** Trainable-parameter count of a shape tree (BatchNorm running statistics excluded, DFL included). */
export function countParams(tree: Tree<number[]>): number {
  let n = 0;
  for (const [name, shape] of flattenTree(tree)) {
    if (!STATE_KEYS.has(name.slice(name.lastIndexOf(".") + 1))) n += shape.reduce((a, b) => a * b, 1);
  }
  return n;
}

function run(spec: ModelSpec, img: [number, number], fused: boolean): { flops: number[]; params: number[] } {
  const flops: number[] = [];
  const params: number[] = [];
  const outs: LayerOut<number[]>[] = [];
  for (const l of spec.layers) {
    const o = new ShapeOps();
    const shapes = fused ? fuseTree(layerShapes(l), SHAPE_FOLDER) : layerShapes(l);
    const y = runLayer(o, l, shapes, l.from.map((f) => (f < 0 ? [1, img[0], img[1], 3] : outs[f])));
    outs.push(y);
    if (l.i === spec.layers.length - 1 && !isAnchorBased(spec)) {
      // The eval-mode head decodes every branch (the last only for TripleDDetect) through the DFL conv.
      const branches = y as number[][][];
      const decoded = spec.branches === 3 ? branches.slice(-1) : branches;
      for (const b of decoded) o.flops += dflFlops(b.reduce((a, s) => a + s[1] * s[2], 0));
    }
    flops.push(o.flops / 1e9);
    params.push(countParams(shapes));
  }
  return { flops, params };
}

/** Per-layer costs at an `img` x `img` input (or [h, w]). */
export function summarizeLayers(spec: ModelSpec, img: number | [number, number] = 640): LayerRow[] {
  const hw: [number, number] = typeof img === "number" ? [img, img] : img;
  const a = run(spec, hw, false);
  const b = run(spec, hw, true);
  return spec.layers.map((l, k) => ({
    i: l.i, from: l.fromRaw, n: l.n, module: l.module, args: l.yamlArgs,
    params: a.params[k], params_fused: b.params[k], gflops: a.flops[k], gflops_fused: b.flops[k],
  }));
}

/** Whole-model costs. */
export function summarizeModel(spec: ModelSpec, img: number | [number, number] = 640): Cost {
  const rows = summarizeLayers(spec, img);
  const sum = (k: keyof Cost) => rows.reduce((s, r) => s + r[k], 0);
  return { params: sum("params"), params_fused: sum("params_fused"), gflops: sum("gflops"), gflops_fused: sum("gflops_fused") };
}
