/**
 * Paper Fig. 7: the PAN-level feature maps of a (trained) detector, i.e. the outputs the main head
 * branch reads (P3, P4, P5 of the main PAN neck; for a Dual/Triple head the last `nl` inputs),
 * each summed over channels as official issue #223 draws feature maps. BatchNorm uses the running
 * statistics (eval mode, the model as used for inference) unless `bn: "batch"` is asked for (useful
 * after very few iterations, when the running statistics have hardly moved from their initial values).
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Tree } from "../nn/tree.ts";
import type { ModelSpec } from "../graph/spec.ts";
import { type BnMode, channelSum, layerOutputs, type Map2D } from "./features.ts";

/** Layer indices of the main branch's head inputs (P3, P4, P5 of the PAN neck), in level order. */
export function panLayers(spec: ModelSpec): number[] {
  const head = spec.layers[spec.layers.length - 1];
  const nl = head.from.length / spec.branches;
  if (!Number.isInteger(nl) || nl < 1) throw new RangeError(`Cannot find PAN levels of ${spec.name}: head reads [${head.from}] for ${spec.branches} branches`);
  return head.from.slice(-nl);
}

/** One channel-summed PAN map with its layer index and stride. */
export interface PanMap {
  layer: number;
  stride: number;
  map: Map2D;
}

/** Channel-summed PAN maps of the first image of `x` (NHWC in [0, 1]); BatchNorm in eval mode by default. */
export async function panFeatureMaps(
  spec: ModelSpec,
  weights: Tree<tf.Tensor>,
  x: tf.Tensor4D,
  opts: { bn?: BnMode } = {},
): Promise<PanMap[]> {
  const layers = panLayers(spec);
  const outs = layerOutputs(spec, weights, x, layers, { bn: opts.bn ?? "running" });
  try {
    return await Promise.all(outs.map(async (o, i) => ({ layer: layers[i], stride: x.shape[1] / o.shape[1], map: await channelSum(o) })));
  } finally {
    outs.forEach((o) => o.dispose());
  }
}

/**
 * How much a map concentrates on the objects (paper Fig. 7: "focuses better on the target object"):
 * the map is min-max normalised to [0, 1], then the mean over cells whose centre lies inside any
 * ground-truth box is divided by the mean over the other cells. 1 = no preference, > 1 = more
 * response on objects. `labels` are YOLO rows `[class, cx, cy, w, h]` normalised to [0, 1].
 * Limits: boxes include background around thin digits, the ratio ignores sign (a map that is low
 * on objects scores < 1), and NaN is returned when all or no cells are inside boxes or the map is constant.
 */
export function objectFocus(map: Map2D, labels: ArrayLike<number>): number {
  if (labels.length % 5) throw new RangeError(`Cannot read boxes: expected 5 values per label row, got ${labels.length}`);
  let lo = Infinity, hi = -Infinity;
  for (const v of map.data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  if (!(hi > lo)) return NaN;
  let sIn = 0, nIn = 0, sOut = 0, nOut = 0;
  for (let y = 0; y < map.height; y++) {
    for (let x = 0; x < map.width; x++) {
      const cx = (x + 0.5) / map.width, cy = (y + 0.5) / map.height;
      let inside = false;
      for (let k = 0; k < labels.length && !inside; k += 5) {
        inside = Math.abs(cx - labels[k + 1]) <= labels[k + 3] / 2 && Math.abs(cy - labels[k + 2]) <= labels[k + 4] / 2;
      }
      const v = (map.data[y * map.width + x] - lo) / (hi - lo);
      if (inside) [sIn, nIn] = [sIn + v, nIn + 1];
      else [sOut, nOut] = [sOut + v, nOut + 1];
    }
  }
  return nIn && nOut && sOut > 0 ? (sIn / nIn) / (sOut / nOut) : NaN;
}
