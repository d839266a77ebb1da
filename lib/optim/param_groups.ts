/**
 * The trainable parameters of a weight tree and their optimizer groups, as `smart_optimizer`
 * (utils/torch_utils.py) builds them (reference spec §5.3): group 0 = every `bias` (conv biases and
 * BatchNorm beta, no decay), group 1 = conv weights (weight decay), group 2 = BatchNorm gamma and YOLOv7's
 * implicit layers (no decay).
 * Not trained: BatchNorm running statistics, `num_batches_tracked`, the fixed DFL weights.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { isTree, leafMap, type Tree } from "../nn/tree.ts";

/** Optimizer group of a parameter: 0 bias, 1 weight with decay, 2 BatchNorm weight. */
export type GroupIndex = 0 | 1 | 2;

/** The trainable parameters in a fixed order (the tree's insertion order) with their groups. */
export interface ParamGroups {
  /** Dotted state_dict names. */
  names: string[];
  /** Group of each parameter. */
  groups: GroupIndex[];
  /** Number of parameters (tensors) per group. */
  counts: [number, number, number];
}

/** True for the fixed DFL projection weights (`DFL.conv`, `requires_grad_(False)` in the reference). */
export function isFixedDfl(name: string): boolean {
  return /(^|\.)dfl\d?\.conv\.weight$/.test(name);
}

function collect<L>(tree: Tree<L>, prefix: string, out: ParamGroups): void {
  const isBn = "running_mean" in tree;
  for (const [k, v] of Object.entries(tree)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (isTree(v)) {
      collect(v, name, out);
      continue;
    }
    let g: GroupIndex | undefined;
    if (k === "bias") g = 0;
    else if (k === "weight") g = isBn ? 2 : isFixedDfl(name) ? undefined : 1;
    else if (k === "implicit") g = 2; // YOLOv7 train.py: ImplicitA / ImplicitM join the BN weights (no decay)
    if (g === undefined) continue;
    out.names.push(name);
    out.groups.push(g);
    out.counts[g]++;
  }
}

/**
 * Classify the parameters of a weight tree (mirrors `smart_optimizer`'s grouping). Only the names are
 * used, so a shape tree (`modelShapes(spec)`) gives the same result.
 *
 * @example
 * ```ts
 * const pg = paramGroups(initWeights(spec));
 * console.log(pg.counts); // [biases, conv weights, BN weights]
 * ```
 */
export function paramGroups<L>(weights: Tree<L>): ParamGroups {
  const out: ParamGroups = { names: [], groups: [], counts: [0, 0, 0] };
  collect(weights, "", out);
  return out;
}

/**
 * The tensors of `names` in a weight tree, in order; throws naming a missing one. The tree is read
 * through {@link leafMap} (memoised per tree object), so it must not be changed in place afterwards.
 */
export function gatherParams(weights: Tree<tf.Tensor>, names: readonly string[]): tf.Tensor[] {
  const flat = leafMap(weights);
  return names.map((n) => {
    const t = flat.get(n);
    if (!t) throw new RangeError(`Cannot find trainable parameter "${n}" in the weight tree`);
    return t;
  });
}

/**
 * A copy of the tree structure with the leaves named in `names` replaced by `values` (same order);
 * every other leaf is shared with `weights`.
 */
export function replaceLeaves(
  weights: Tree<tf.Tensor>,
  names: readonly string[],
  values: readonly tf.Tensor[],
): Tree<tf.Tensor> {
  const byName = new Map(names.map((n, i) => [n, values[i]]));
  const walk = (t: Tree<tf.Tensor>, prefix: string): Tree<tf.Tensor> => {
    const out: Tree<tf.Tensor> = {};
    for (const [k, v] of Object.entries(t)) {
      const name = prefix ? `${prefix}.${k}` : k;
      out[k] = isTree(v) ? walk(v, name) : byName.get(name) ?? v;
    }
    return out;
  };
  return walk(weights, "");
}
