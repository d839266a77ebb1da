/**
 * The model an export writes: a dual/triple-branch (PGI) model loses its auxiliary branch (paper Sec. 4.1,
 * `../pgi/strip_aux.ts`), and Conv + BatchNorm and RepConvN pairs are folded when asked (`fuse`, models/yolo.py
 * `fuse`; paper Sec. 4.2). The result shares the tensors it did not fold with its input.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Tree } from "../nn/tree.ts";
import type { ModelSpec } from "../graph/spec.ts";
import { fuseWeights } from "../graph/fuse.ts";
import { stripAuxModel } from "../pgi/strip_aux.ts";

/** A model ready to be written. */
export interface InferenceModel {
  spec: ModelSpec;
  weights: Tree<tf.Tensor>;
  fused: boolean;
  /** True when an auxiliary branch was removed. */
  stripped: boolean;
}

/**
 * The main-branch model of `spec` / `weights` (`fused`: the weights are already fused; `keepAux`: keep the
 * auxiliary branch), fused when `fuse`.
 * Tensors created by fusing belong to the result: free them with `disposeWeights(result.weights, weights)`.
 */
export function inferenceModel(
  spec: ModelSpec,
  weights: Tree<tf.Tensor>,
  o: { fused: boolean; fuse: boolean; keepAux?: boolean },
): InferenceModel {
  let m = { spec, weights };
  const stripped = spec.branches > 1 && !o.keepAux;
  if (stripped) {
    if (o.fused) {
      throw new RangeError(
        `Cannot remove the auxiliary branch of ${spec.name}: its weights are already fused`,
      );
    }
    m = stripAuxModel(spec, weights);
  }
  if (o.fuse && !o.fused) m = { spec: m.spec, weights: fuseWeights(m.weights) };
  return { ...m, fused: o.fused || o.fuse, stripped };
}
