/**
 * Feature maps of randomly initialised networks, layer by layer with flat memory: each layer runs in
 * its own `tf.tidy` and an output is disposed once its last consumer has run. BatchNorm uses the
 * batch statistics by default (`bn: "batch"`), as a freshly built PyTorch model does in its default
 * train mode (the authors' `model(image)` of official issue #223); `"running"` uses the initial
 * running statistics (mean 0, var 1), where deep plain networks simply fade towards zero.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { sub, type Tree } from "../nn/tree.ts";
import { TensorOps } from "../nn/tensor_ops.ts";
import { type ModelSpec, runLayer } from "../graph/spec.ts";
import type { LayerOut } from "../graph/module_def.ts";

/** How BatchNorm normalises at random initialisation. */
export type BnMode = "batch" | "running";

/** A single-channel 2-D map, row-major. */
export interface Map2D {
  width: number;
  height: number;
  data: Float32Array;
}

function disposeOut(y: LayerOut<tf.Tensor4D>): void {
  if (Array.isArray(y)) (y as unknown[]).flat(2).forEach((t) => (t as tf.Tensor).dispose());
  else y.dispose();
}

/** Ops for a feature forward: BatchNorm in batch or running mode. */
export function featureOps(bn: BnMode = "batch"): TensorOps {
  return new TensorOps({ training: bn === "batch" });
}

/**
 * Run `spec` on `x` (NHWC in [0, 1]) up to the deepest of `keep` and return the outputs of the
 * layers in `keep` (single-tensor layers), in that order. Every other intermediate is disposed.
 * The caller owns (and disposes) the returned tensors.
 */
export function layerOutputs(
  spec: ModelSpec,
  weights: Tree<tf.Tensor>,
  x: tf.Tensor4D,
  keep: number[],
  opts: { bn?: BnMode } = {},
): tf.Tensor4D[] {
  if (!keep.length) return [];
  const end = Math.max(...keep) + 1;
  if (end > spec.layers.length) throw new RangeError(`Cannot tap layer ${end - 1}: ${spec.name} has ${spec.layers.length} layers`);
  const lastUse = new Array<number>(end).fill(-1);
  for (const l of spec.layers.slice(0, end)) for (const f of l.from) if (f >= 0) lastUse[f] = Math.max(lastUse[f], l.i);
  const model = sub(weights, "model");
  const o = featureOps(opts.bn);
  const outs: (LayerOut<tf.Tensor4D> | null)[] = [];
  const kept = new Set(keep);
  // A pass-through layer (Silence, yolov9-c's layer 0) returns the input itself: the caller's tensor.
  const release = (y: LayerOut<tf.Tensor4D>) => y !== x && disposeOut(y);
  for (const l of spec.layers.slice(0, end)) {
    const xs = l.from.map((f) => (f < 0 ? x : outs[f]!));
    outs.push(tf.tidy(() => runLayer(o, l, (model[l.i] ?? {}) as Tree<tf.Tensor>, xs) as tf.Tensor4D));
    for (const f of l.from) {
      if (f >= 0 && lastUse[f] === l.i && !kept.has(f)) {
        release(outs[f]!);
        outs[f] = null;
      }
    }
  }
  for (let i = 0; i < end; i++) if (outs[i] && !kept.has(i)) release(outs[i]!);
  return keep.map((i) => {
    const y = outs[i];
    if (!y || Array.isArray(y)) throw new RangeError(`Cannot tap layer ${i} (${spec.layers[i].module}): not a single feature map`);
    return y;
  });
}

/**
 * The first image's feature map summed over channels (official issue #223: `model(image).sum(1)`),
 * read with `await` (every backend, webgpu too).
 */
export async function channelSum(f: tf.Tensor4D): Promise<Map2D> {
  const [, height, width] = f.shape;
  const sum = tf.tidy(() => tf.sum(f.slice([0, 0, 0, 0], [1, height, width, f.shape[3]]), 3));
  try {
    return { width, height, data: Float32Array.from(await sum.data()) };
  } finally {
    sum.dispose();
  }
}
