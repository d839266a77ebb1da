import * as tf from "@tensorflow/tfjs";
import { deepEqual, ok } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { registerNativeBackend } from "../lib/backend/native/mod.ts";
import { MODULES } from "../lib/models/modules.ts";
import { initTree } from "../lib/graph/init.ts";
import { fuseWeights } from "../lib/graph/fuse.ts";
import { TensorOps } from "../lib/nn/tensor_ops.ts";
import { ShapeOps } from "../lib/nn/shape_ops.ts";
import { flattenTree, mapTree, type Tree } from "../lib/nn/tree.ts";
import { gradCheck } from "../lib/testing/grad_check.ts";
import { relMaxError } from "../lib/testing/all_close.ts";

// Every block type on tiny inputs: [module, input channels (one per input), yaml args, H, W].
const CASES: [string, number[], unknown[], number, number][] = [
  ["Conv", [3], [8, 3, 2], 8, 6],
  ["Conv", [4], [8, 1, 1], 4, 4],
  ["AConv", [4], [8], 8, 8],
  ["ADown", [4], [8], 8, 8],
  ["ELAN1", [4], [8, 8, 4], 4, 4],
  ["RepNCSPELAN4", [4], [8, 8, 4, 1], 4, 4],
  ["RepNCSPELAN4", [4], [8, 8, 4, 2, 3, "CSP"], 4, 4],
  ["RepNCSPELAN4", [4], [8, 8, 4, 1, 2, "Conv"], 4, 4],
  ["RepNCSPELAN4", [4], [8, 8, 4, 1, 2, "Res"], 4, 4],
  ["RepNCSPELAN4", [4], [8, 8, 4, 1, 2, "Dark"], 4, 4],
  ["RepNCSP", [4], [8], 4, 4],
  ["RepNBottleneck", [8], [8], 4, 4],
  ["Bottleneck", [8], [8], 4, 4],
  ["BottleneckBase", [8], [8], 4, 4],
  ["Res", [8], [8], 4, 4],
  ["SPPELAN", [4], [8, 4], 6, 6],
  ["SP", [4], [5, 1], 6, 6],
  ["CBLinear", [4], [[2, 6]], 4, 4],
  ["Upsample", [4], [null, 2, "nearest"], 3, 2],
  ["Concat", [3, 5], [1], 4, 4],
  ["DDetect", [4, 8, 8], [3], 8, 8],
  ["DualDDetect", [4, 8, 8, 4, 8, 8], [3], 8, 8],
  ["TripleDDetect", [4, 4, 4], [2], 8, 8],
  ["Detect", [4, 8, 8], [3], 8, 8],
  ["SPPCSPC", [8], [8], 6, 6],
  ["MP", [4], [], 6, 4],
];

function resolve(module: string, ch: number[], args: unknown[]) {
  const fail = (m: string): never => {
    throw new Error(`${module}: ${m}`);
  };
  return MODULES[module].resolve({ ch, args, n: 1, nc: (args[0] as number) ?? 3, width: 1, act: "silu", fail });
}

/** Random inputs per level: heads get 3 levels at strides 1, 2, 4 of (H, W). */
function inputs(module: string, ch: number[], h: number, w: number, seed: number): tf.Tensor4D[] {
  const head = MODULES[module].head;
  const nl = module === "DualDDetect" ? 3 : 3;
  return ch.map((c, i) => {
    const f = head ? 2 ** (i % nl) : 1;
    return tf.randomNormal([2, h / f, w / f, c], 0, 1, "float32", seed + i) as tf.Tensor4D;
  });
}

/** BatchNorm statistics away from 0/1 so eval-mode BN and fusing are really exercised. */
function randomizeStats(tree: Tree<tf.Tensor>, seed: number): Tree<tf.Tensor> {
  let k = 0;
  return mapTree(tree, (t, name) => {
    if (name.endsWith("running_mean")) return tf.randomUniform(t.shape, -0.5, 0.5, "float32", seed + k++);
    if (name.endsWith("running_var")) return tf.randomUniform(t.shape, 0.5, 2, "float32", seed + k++);
    if (name.endsWith("bn.weight")) return tf.randomUniform(t.shape, 0.5, 1.5, "float32", seed + k++);
    return t;
  });
}

function flatOut(y: unknown): tf.Tensor[] {
  return Array.isArray(y) ? (y as unknown[]).flatMap(flatOut) : [y as tf.Tensor];
}

const native = registerNativeBackend();
if (!native.ok) console.log(`block checks on the native backend skipped: ${native.reason}`);

for (const backend of ["cpu", "wasm", ...(native.ok ? ["native"] : [])]) {
  Deno.test(`every block: shapes equal ShapeOps, fused equals unfused, gradients equal finite differences (${backend})`, async () => {
    await initBackend(backend, { quiet: true });
    for (const [module, ch, args, h, w] of CASES) {
      const label = `${module}${JSON.stringify(args)} on ${backend}`;
      const r = resolve(module, ch, args);
      const def = MODULES[module];
      const shapes = def.shapes(r.args);
      const params = randomizeStats(initTree(shapes, { seed: 3 }), 5);
      const xs = inputs(module, ch, h, w, 11);
      const y = def.forward(new TensorOps(), params, xs, r.args);
      const shapeY = def.forward(new ShapeOps(), shapes, xs.map((x) => x.shape), r.args);
      deepEqual(flatOut(y).map((t) => t.shape), flatShapes(shapeY), label);

      const fused = fuseWeights(params);
      const yf = def.forward(new TensorOps(), fused, xs, r.args);
      flatOut(y).forEach((t, i) => {
        const err = relMaxError(flatOut(yf)[i].dataSync(), t.dataSync());
        ok(err < 1e-5, `${label}: fused differs by ${err}`);
      });

      // Gradient w.r.t. the first input and the first conv weight, loss = sum(y * fixed random weights).
      const convName = flattenTree(params).find(([n, t]) => n.endsWith("weight") && t.rank === 4)?.[0];
      const probe = flatOut(y).map((t, i) => tf.randomNormal(t.shape, 0, 1, "float32", 100 + i));
      const f = (x0: tf.Tensor, wt?: tf.Tensor): tf.Scalar => {
        const p = convName && wt ? mapTree(params, (t, n) => (n === convName ? wt : t)) : params;
        const out = flatOut(def.forward(new TensorOps(), p, [x0 as tf.Tensor4D, ...xs.slice(1)], r.args));
        return tf.addN(out.map((t, i) => tf.sum(tf.mul(t, probe[i])))) as tf.Scalar;
      };
      const wt = convName ? flattenTree(params).find(([n]) => n === convName)![1] : undefined;
      // Max-pooling is piecewise linear: a small step keeps the arg-max where it is.
      const eps = /SP|ADown/.test(module) ? 2e-3 : 1e-2;
      const g = await gradCheck(f, wt ? [xs[0], wt] : [xs[0]], { samples: 4, eps, floor: 5e-2 });
      ok(g.maxRelError < 3e-2, `${label}: gradient check ${JSON.stringify(g)}`);
      tf.dispose([...xs, ...probe, ...flatOut(y), ...flatOut(yf)]);
    }
  });
}

function flatShapes(y: unknown): number[][] {
  const isShape = (v: unknown) => Array.isArray(v) && v.every((n) => typeof n === "number");
  if (isShape(y)) return [y as number[]];
  return (y as unknown[]).flatMap(flatShapes);
}
