/**
 * Gradient signal (paper Sec. 3.1: lost information makes "unreliable gradients"): for a fixed input
 * and a fixed target, how consistent is the gradient that reaches the input across random
 * initialisations?
 *
 * Definition: the target is the input's luminance averaged over each map cell, standardised. At a
 * tapped depth, a 1x1 linear readout ŷ = F w + b is fitted to it by ridge regression (then held
 * fixed), and the objective is the correlation-style score L = mean over cells of y · ŷ. Its
 * gradient with respect to the input image, ∂L/∂x, is backpropagated through the whole network and
 * summed over each cell's s x s x 3 pixels ({@link cellGradient}: the gradient for a uniform
 * brightening of the cell, in the target's own space). For S seeds (different random weights, same
 * image and target) we report the mean pairwise cosine similarity of these gradients
 * ({@link meanPairwiseCosine}: 1 = every network passes back the same direction, 0 = seed-specific
 * noise), their signal-to-noise ratio ({@link gradientSnr}), and per seed the alignment
 * cos(gradient, y): 1 when the network passes the target straight back to the input.
 *
 * Limits: the input is the only space shared by all seeds, so "early layers" means the input here.
 * Pixel-level gradients are not compared: a shallow network that keeps everything still weights
 * the pixels of a cell in a seed-specific way (a null space of the target), which makes their
 * cosine near 0 at any depth. The readout is fitted per seed, so a network whose features do not
 * carry the target gets a weak, arbitrary readout and hence an arbitrary gradient: the measure is
 * related to (not independent of) reversibility. With few seeds the cosine is noisy (its spread is
 * reported) and the SNR is biased upward by about 1 / (S - 1) even for pure noise.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { sub, type Tree } from "../nn/tree.ts";
import { type ModelSpec, runLayer } from "../graph/spec.ts";
import { type BnMode, featureOps, type Map2D } from "./features.ts";
import { fitRidge } from "./ridge.ts";
import type { Matrix } from "./linalg.ts";
import { type FeatureMap, featureRows, type FloatImage, greyRows, patchRows } from "./samples.ts";

/** Throws unless layers 0..last each read only the previous layer (or the image). */
export function checkChain(spec: ModelSpec, last: number): void {
  for (const l of spec.layers.slice(0, last + 1)) {
    if (l.from.length !== 1 || l.from[0] !== l.i - 1) {
      throw new RangeError(`Cannot backpropagate layer by layer: layer ${l.i} (${l.module}) reads [${l.from}], expected [${l.i - 1}]`);
    }
  }
}

/**
 * Activations of a chain network: `acts[0] = x`, `acts[l + 1]` = output of layer l, for l <= last.
 * The caller disposes `acts[1..]`.
 */
export function chainActivations(
  spec: ModelSpec,
  weights: Tree<tf.Tensor>,
  x: tf.Tensor4D,
  last: number,
  opts: { bn?: BnMode } = {},
): tf.Tensor4D[] {
  checkChain(spec, last);
  const model = sub(weights, "model");
  const o = featureOps(opts.bn);
  const acts = [x];
  for (const l of spec.layers.slice(0, last + 1)) {
    acts.push(tf.tidy(() => runLayer(o, l, (model[l.i] ?? {}) as Tree<tf.Tensor>, [acts[l.i]]) as tf.Tensor4D));
  }
  return acts;
}

/**
 * Vector-Jacobian product from layer `tap`'s output back to the input: the gradient of
 * `sum(upstream ⊙ output_tap)` with respect to `acts[0]`, one layer at a time (each layer is re-run
 * under `tf.grad` from its stored input), so memory stays at one layer's tape.
 */
export function chainInputGradient(
  spec: ModelSpec,
  weights: Tree<tf.Tensor>,
  acts: tf.Tensor4D[],
  tap: number,
  upstream: tf.Tensor4D,
  opts: { bn?: BnMode } = {},
): tf.Tensor4D {
  if (acts.length < tap + 2) throw new RangeError(`Cannot backpropagate from layer ${tap}: only ${acts.length - 1} activations stored`);
  const model = sub(weights, "model");
  const o = featureOps(opts.bn);
  let g = upstream.clone();
  for (let l = tap; l >= 0; l--) {
    const layer = spec.layers[l];
    const p = (model[l] ?? {}) as Tree<tf.Tensor>;
    const next = tf.tidy(() => tf.grad((a: tf.Tensor) => runLayer(o, layer, p, [a as tf.Tensor4D]) as tf.Tensor)(acts[l], g));
    g.dispose();
    g = next as tf.Tensor4D;
  }
  return g;
}

/** The standardised luminance of each map cell (the fixed target). */
export function luminanceTarget(img: FloatImage, height: number, width: number): Map2D {
  const s = img.height / height;
  const grey = greyRows(patchRows(img, s));
  const data = new Float32Array(height * width);
  for (let i = 0; i < data.length; i++) {
    let m = 0;
    for (let j = 0; j < grey.cols; j++) m += grey.data[i * grey.cols + j];
    data[i] = m / grey.cols;
  }
  const mean = data.reduce((a, v) => a + v, 0) / data.length;
  const sd = Math.sqrt(data.reduce((a, v) => a + (v - mean) ** 2, 0) / data.length) || 1;
  for (let i = 0; i < data.length; i++) data[i] = (data[i] - mean) / sd;
  return { width, height, data };
}

/**
 * The fixed readout of `target` from the features (1x1 ridge, `alpha` relative) and the gradient of
 * L = mean(y · ŷ) with respect to the feature map: `G[p, c] = y_p w_c / n` (HWC).
 */
export function readoutUpstream(f: FeatureMap, target: Map2D, alpha = 1e-3): Float32Array {
  if (target.height !== f.height || target.width !== f.width) {
    throw new RangeError(`Cannot read out a ${target.height}x${target.width} target from a ${f.height}x${f.width} map`);
  }
  const x = featureRows(f, 1);
  const y: Matrix = { rows: x.rows, cols: 1, data: Float64Array.from(target.data) };
  const w = fitRidge(x, y, { alpha }).weights.data;
  const n = x.rows;
  const g = new Float32Array(n * f.channels);
  for (let p = 0; p < n; p++) for (let c = 0; c < f.channels; c++) g[p * f.channels + c] = target.data[p] * w[c] / n;
  return g;
}

/** Sum of an HWC input gradient over each s x s x 3 cell: the gradient per cell brightness, `(H/s) x (W/s)`. */
export function cellGradient(g: Float32Array, height: number, width: number, s: number): Map2D {
  if (g.length !== height * width * 3) throw new RangeError(`Cannot pool: expected ${height}x${width}x3 values, got ${g.length}`);
  if (height % s || width % s) throw new RangeError(`Cannot pool ${height}x${width} into cells of ${s}`);
  const h = height / s;
  const w = width / s;
  const data = new Float32Array(h * w);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[Math.floor(y / s) * w + Math.floor(x / s)] += g[o] + g[o + 1] + g[o + 2];
    }
  }
  return { width: w, height: h, data };
}

/** Cosine similarity of two vectors (0 when either is zero). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`Cannot compare vectors of lengths ${a.length} and ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/** Mean cosine similarity over all pairs of vectors (NaN for fewer than two; zero vectors give 0). */
export function meanPairwiseCosine(vs: ArrayLike<number>[]): number {
  if (vs.length < 2) return NaN;
  let acc = 0;
  let pairs = 0;
  for (let a = 0; a < vs.length; a++) {
    for (let b = a + 1; b < vs.length; b++) {
      acc += cosine(vs[a], vs[b]);
      pairs++;
    }
  }
  return acc / pairs;
}

/**
 * Signal-to-noise ratio of unit-normalised vectors: `‖mean‖² / mean ‖v - mean‖²`. Pure noise gives
 * about 1 / (S - 1) for S vectors; identical vectors give Infinity.
 */
export function gradientSnr(vs: ArrayLike<number>[]): number {
  if (vs.length < 2) return NaN;
  const d = vs[0].length;
  const units = vs.map((v) => {
    let n = 0;
    for (let i = 0; i < d; i++) n += v[i] * v[i];
    n = Math.sqrt(n) || 1;
    return Float64Array.from(v as ArrayLike<number>, (x) => x / n);
  });
  const mean = new Float64Array(d);
  for (const u of units) for (let i = 0; i < d; i++) mean[i] += u[i] / units.length;
  const signal = mean.reduce((a, x) => a + x * x, 0);
  let noise = 0;
  for (const u of units) for (let i = 0; i < d; i++) noise += (u[i] - mean[i]) ** 2 / units.length;
  return noise > 0 ? signal / noise : Infinity;
}
