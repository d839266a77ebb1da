/**
 * The information-bottleneck study of paper Sec. 3 / Fig. 2 / Fig. 6: for each architecture family
 * and depth, over several random initialisations (seeds) and images, the channel-summed feature map
 * and three measures (reversibility, mutual information, gradient consistency), with mean and spread,
 * next to the gradient paths from the tapped layer back to the image. One forward per (family, seed,
 * image) serves every depth; gradients are backpropagated layer by layer from each figure depth. On a
 * finer depth grid, the reversibility and MI curves give each family's information depth with 95 %
 * intervals over seeds and images (lib/ib/depth_study.ts).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initWeights } from "../graph/init.ts";
import { flattenTree, type Tree } from "../nn/tree.ts";
import { buildConvGraph } from "./conv_graph.ts";
import { FAMILIES, type Family, FAMILY_NAMES, familySpec, findTaps } from "./families.ts";
import { type BnMode, channelSum, type Map2D } from "./features.ts";
import {
  cellGradient, chainActivations, chainInputGradient, cosine, gradientSnr, luminanceTarget, meanPairwiseCosine, readoutUpstream,
} from "./gradient_signal.ts";
import { tfCrossProduct } from "./tf_linalg.ts";
import { syncReads } from "../backend/port.ts";
import { type Summary, summarize } from "../stats/stats.ts";
import { NO_PATHS, type PathStats, pathsToSinks } from "./gradient_paths.ts";
import { type InformationOptions, type InformationScore, inputFeatureInformation } from "./information.ts";
import { reversibility, type ReversibilityOptions, type ReversibilityScore } from "./reversibility.ts";
import type { FeatureMap, FloatImage } from "./samples.ts";
import { depthStudy, type DepthStudy, type FamilyDepth, type IbCurve } from "./depth_study.ts";

/** An input image with a name (for tables). Size: a multiple of the stem stride. */
export interface NamedImage {
  name: string;
  image: FloatImage;
}

/** Options of {@link runIbAnalysis}. */
export interface IbOptions {
  families?: Family[];
  /** Depths in conv layers of the figure, the gradient measures and the floor checks (default 50, 100, 150, 200). */
  depths?: number[];
  /** Requested depths of the information-depth curves (default {@link depthGrid} of the deepest depth; the stem and `depths` are always added). */
  grid?: number[];
  /** Bootstrap replicates of the intervals (default 2000). */
  replicates?: number;
  /** Number of random initialisations (seeds `seed0 .. seed0 + seeds - 1`; default 3). */
  seeds?: number;
  seed0?: number;
  /** Channels of every network (default 32). */
  width?: number;
  stemStride?: number;
  cspUnits?: number;
  bn?: BnMode;
  reversibility?: ReversibilityOptions;
  information?: InformationOptions;
  /** Ridge penalty of the gradient readout (relative; default 1e-3). */
  readoutAlpha?: number;
  /** Called after every (family, seed, image). */
  onProgress?: (done: number, total: number, label: string) => void;
}

/** Measures of one (family, depth, seed, image). */
export interface IbSample {
  family: Family;
  depth: number;
  layers: number;
  seed: number;
  image: string;
  r2: number;
  psnr: number;
  trainR2: number;
  miKsg: number;
  miGauss: number;
  /** Ridge penalty the decoder's cross-validation chose. */
  alpha: number;
  /** cos(cell gradient at the input, target). */
  gradAlign: number;
}

/** Gradient consistency of one (family, depth, image) across seeds. */
export interface IbGradient {
  family: Family;
  depth: number;
  layers: number;
  image: string;
  cosine: number;
  snr: number;
}

/** Mean, sample standard deviation and count across seeds (the ablation tables' {@link Summary}). */
export type Spread = Summary;

/** One (family, depth) row of the results. */
export interface IbRow {
  family: Family;
  name: string;
  depth: number;
  layers: number;
  /** Gradient paths from the tapped output back to the image (training form). */
  paths: PathStats;
  r2: Spread;
  psnr: Spread;
  miKsg: Spread;
  miGauss: Spread;
  /** Over images (each value is itself a mean over seed pairs). */
  gradCosine: Spread;
  gradSnr: Spread;
  /** Over seeds and images. */
  gradAlign: Spread;
}

/** A channel-summed feature map for the figure (first seed, first image). */
export interface IbMap {
  family: Family;
  depth: number;
  layers: number;
  map: Map2D;
}

/** Everything the study produced. */
export interface IbResult {
  settings: Record<string, unknown>;
  rows: IbRow[];
  samples: IbSample[];
  gradients: IbGradient[];
  maps: IbMap[];
  /** R², PSNR gain and MI fraction per family on the depth grid (seeds x images x depths). */
  curves: IbCurve[];
  /** Per family and measure, the depth where the measure falls below each threshold (lib/ib/depth_study.ts). */
  information_depth: FamilyDepth[];
  /** The orderings by information depth and the floor checks at `depths`. */
  depthStudy: DepthStudy;
}

interface TapMeasures {
  f: FeatureMap;
  rev: ReversibilityScore;
  info: InformationScore;
}

function tapMeasures(f: FeatureMap, image: FloatImage, seed: number, opts: IbOptions): TapMeasures {
  return {
    f,
    // tf.matMul as a fast aᵀb needs a synchronous read; elsewhere (webgpu) the exact float64 loop.
    rev: reversibility(f, image, { gram: syncReads() ? tfCrossProduct : undefined, ...opts.reversibility }),
    info: inputFeatureInformation(f, image, { ...opts.information, seed }),
  };
}

async function featureMap(t: tf.Tensor4D): Promise<FeatureMap> {
  const [, height, width, channels] = t.shape;
  return { height, width, channels, data: (await t.data()) as Float32Array };
}

/**
 * Requested depths of the information-depth curves up to `max` conv layers: 1, 2, ... then steps of
 * about 20 % (each depth the larger of +1 and x1.2, rounded; `max` included). Taps snap to block
 * boundaries, so a family with k layers per block is sampled at most every k layers.
 */
export function depthGrid(max: number): number[] {
  const g: number[] = [];
  for (let d = 1; d < max; d = Math.max(d + 1, Math.round(d * 1.2))) g.push(d);
  g.push(max);
  return g;
}

/** Run the study on `images` (see {@link IbOptions} for defaults). */
export async function runIbAnalysis(images: NamedImage[], opts: IbOptions = {}): Promise<IbResult> {
  if (!images.length) throw new RangeError("Cannot run the study: expected at least one image, got none");
  const families = opts.families ?? [...FAMILIES];
  const depths = opts.depths ?? [50, 100, 150, 200];
  const grid = [...new Set([1, ...depths, ...(opts.grid ?? depthGrid(Math.max(...depths)))])].sort((a, b) => a - b);
  const seeds = Array.from({ length: opts.seeds ?? 3 }, (_, k) => (opts.seed0 ?? 0) + k);
  const samples: IbSample[] = [];
  const gradients: IbGradient[] = [];
  const maps: IbMap[] = [];
  const rows: IbRow[] = [];
  const curves: IbCurve[] = [];
  const total = families.length * seeds.length * images.length;
  let done = 0;
  for (const family of families) {
    const maxDepth = Math.max(...depths, ...grid);
    const spec = familySpec(family, { maxDepth, width: opts.width, stemStride: opts.stemStride, cspUnits: opts.cspUnits });
    const taps = findTaps(spec, depths);
    // Grid taps, one per distinct block boundary.
    const gridTaps = [...new Map(findTaps(spec, grid).map((t) => [t.layer, t])).values()];
    const graph = buildConvGraph(spec, { form: "train", upTo: spec.layers.length - 1 });
    const shortest = gridTaps.map((t) => (pathsToSinks(graph.nodes, [graph.layers[t.layer].outputs[0]])[0] ?? NO_PATHS).shortest);
    const curve: IbCurve = { family, name: FAMILY_NAMES[family], layers: gridTaps.map((t) => t.layers), shortest, r2: [], psnr: [], mi: [] };
    const last = Math.max(...taps.map((t) => t.layer), ...gridTaps.map((t) => t.layer));
    // grads[tap][image] = one input-gradient per seed.
    const grads = taps.map(() => images.map(() => [] as Float32Array[]));
    for (const seed of seeds) {
      // tidy: initWeights leaves the DFL's tf.range intermediate behind otherwise.
      const weights = tf.tidy(() => initWeights(spec, { seed }) as unknown as tf.NamedTensorMap) as unknown as Tree<tf.Tensor>;
      const [r2, psnr, mi] = [[], [], []] as number[][][];
      try {
        for (const [ii, { name, image }] of images.entries()) {
          const x = tf.tensor4d(image.data, [1, image.height, image.width, 3]);
          const acts = chainActivations(spec, weights, x, last, { bn: opts.bn });
          try {
            const measured = new Map<number, TapMeasures>();
            const measure = async (layer: number): Promise<TapMeasures> => {
              if (!measured.has(layer)) measured.set(layer, tapMeasures(await featureMap(acts[layer + 1]), image, seed * 1000 + ii, opts));
              return measured.get(layer)!;
            };
            const points: TapMeasures[] = [];
            for (const t of gridTaps) points.push(await measure(t.layer));
            r2.push(points.map((p) => p.rev.r2));
            psnr.push(points.map((p) => p.rev.psnr - p.rev.psnrFloor));
            mi.push(points.map((p) => (points[0].info.ksg > 0 ? p.info.ksg / points[0].info.ksg : NaN)));
            for (const [ti, tap] of taps.entries()) {
              const out = acts[tap.layer + 1];
              const { f, rev, info } = await measure(tap.layer);
              if (seed === seeds[0] && ii === 0) maps.push({ family, depth: tap.depth, layers: tap.layers, map: await channelSum(out) });
              const target = luminanceTarget(image, f.height, f.width);
              const up = tf.tensor4d(readoutUpstream(f, target, opts.readoutAlpha), out.shape);
              const g = chainInputGradient(spec, weights, acts, tap.layer, up, { bn: opts.bn });
              up.dispose();
              const cell = cellGradient((await g.data()) as Float32Array, image.height, image.width, image.height / f.height).data;
              g.dispose();
              grads[ti][ii].push(cell);
              samples.push({
                family, depth: tap.depth, layers: tap.layers, seed, image: name, r2: rev.r2, psnr: rev.psnr,
                trainR2: rev.trainR2, miKsg: info.ksg, miGauss: info.gaussian, alpha: rev.alpha, gradAlign: cosine(cell, target.data),
              });
            }
          } finally {
            tf.dispose([x, ...acts.slice(1)]);
          }
          opts.onProgress?.(++done, total, `${FAMILY_NAMES[family]} seed ${seed} ${name}`);
        }
      } finally {
        tf.dispose(flattenTree(weights).map(([, t]) => t));
      }
      curve.r2.push(r2);
      curve.psnr.push(psnr);
      curve.mi.push(mi);
    }
    curves.push(curve);
    for (const [ti, tap] of taps.entries()) {
      const own = images.map(({ name }, ii) => {
        const gr: IbGradient = { family, depth: tap.depth, layers: tap.layers, image: name, cosine: meanPairwiseCosine(grads[ti][ii]), snr: gradientSnr(grads[ti][ii]) };
        gradients.push(gr);
        return gr;
      });
      const mine = samples.filter((s) => s.family === family && s.depth === tap.depth);
      const tapOut = graph.layers[tap.layer].outputs[0];
      rows.push({
        family, name: FAMILY_NAMES[family], depth: tap.depth, layers: tap.layers,
        paths: pathsToSinks(graph.nodes, [tapOut])[0] ?? NO_PATHS,
        r2: summarize(mine.map((s) => s.r2)), psnr: summarize(mine.map((s) => s.psnr)),
        miKsg: summarize(mine.map((s) => s.miKsg)), miGauss: summarize(mine.map((s) => s.miGauss)),
        gradCosine: summarize(own.map((g) => g.cosine)), gradSnr: summarize(own.map((g) => g.snr)),
        gradAlign: summarize(mine.map((s) => s.gradAlign)),
      });
    }
  }
  const settings = {
    families, depths, seeds, width: opts.width ?? 32, stemStride: opts.stemStride ?? 2, cspUnits: opts.cspUnits ?? 3,
    bn: opts.bn ?? "batch", images: images.map((i) => `${i.name} ${i.image.width}x${i.image.height}`),
    reversibility: { window: 3, block: 8, alphas: [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100], ...opts.reversibility, gram: undefined },
    information: { samples: 1024, dims: 4, k: 3, ...opts.information },
    readoutAlpha: opts.readoutAlpha ?? 1e-3,
    grid, replicates: opts.replicates ?? 2000,
  };
  const study = depthStudy(curves, depths, { replicates: opts.replicates });
  return { settings, rows, samples, gradients, maps, curves, information_depth: study.information_depth, depthStudy: study };
}
