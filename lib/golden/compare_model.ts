/**
 * Comparing a model's eval outputs with reference tensors named as in the golden files:
 * `<prefix>decoded[.<branch>]`, `<prefix>raw[.<branch>].<level>` and `layer.<N>.out` (NCHW).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tree } from "../nn/tree.ts";
import { type RawTensor, toFloat32 } from "../io/raw_tensor.ts";
import { relMaxError } from "../testing/all_close.ts";
import { decodeBranches, forwardModel } from "../models/model.ts";
import type { ModelSpec } from "../graph/spec.ts";
import { check, type TensorCheck } from "./types.ts";

/** Default tolerance of forward comparisons: max|a-b| <= 2e-5 max|ref|. */
export const FORWARD_TOL = 2e-5;

/** NCHW float32 reference image as an NHWC tensor. */
export function nhwcFromNchw(t: RawTensor): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(toFloat32(t), t.shape as [number, number, number, number]), [0, 2, 3, 1]) as tf.Tensor4D);
}

async function measure(name: string, ours: tf.Tensor, ref: RawTensor, tol: number): Promise<TensorCheck> {
  const got = ours.rank === 4 ? tf.tidy(() => tf.transpose(ours, [0, 3, 1, 2])) : ours;
  try {
    if (got.shape.join() !== ref.shape.join()) {
      return check(name, Infinity, tol, `shape [${got.shape}] != reference [${ref.shape}]`);
    }
    return check(name, relMaxError(await got.data(), toFloat32(ref)), tol);
  } finally {
    if (got !== ours) got.dispose();
  }
}

/**
 * Run `spec` on `input` and compare every reference tensor whose name starts with `prefix`
 * (plus `layer.N.out` when `layers` is set). Values are read with `await` (every backend, webgpu too).
 */
export async function compareModelOutputs(
  spec: ModelSpec,
  weights: Tree<tf.Tensor>,
  input: RawTensor,
  refs: Map<string, RawTensor>,
  opts: { prefix: string; layers?: boolean; tol?: number },
): Promise<TensorCheck[]> {
  const tol = opts.tol ?? FORWARD_TOL;
  // The outputs are kept out of the tidy and read after it (reads are awaited).
  const outputs: [string, tf.Tensor | undefined][] = [];
  tf.tidy(() => {
    const x = nhwcFromNchw(input);
    const res = forwardModel(spec, weights, x, { keepLayers: opts.layers });
    const decoded = decodeBranches(spec, res.heads);
    const multi = spec.branches > 1;
    for (const name of refs.keys()) {
      let ours: tf.Tensor | undefined;
      if (name.startsWith(opts.prefix)) {
        const parts = name.slice(opts.prefix.length).split(".").map(Number);
        const kind = name.slice(opts.prefix.length).split(".")[0];
        const [b, l] = multi ? [parts[1], parts[2]] : [0, parts[1]];
        if (kind === "decoded") ours = decoded[b];
        else if (kind === "raw") ours = res.heads[b]?.[l];
      } else if (opts.layers && /^layer\.\d+\.out$/.test(name)) {
        ours = res.layers?.[Number(name.split(".")[1])] as tf.Tensor | undefined;
      } else continue;
      outputs.push([name, ours ? tf.keep(ours) : undefined]);
    }
  });
  const checks: TensorCheck[] = [];
  try {
    for (const [name, ours] of outputs) {
      checks.push(ours ? await measure(name, ours, refs.get(name)!, tol) : check(name, Infinity, tol, "no such output"));
    }
  } finally {
    tf.dispose(outputs.flatMap(([, t]) => (t ? [t] : [])));
  }
  return checks;
}
