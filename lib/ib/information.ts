/**
 * Mutual information between the input and a feature map (paper Sec. 3.1, Eq. 1:
 * I(X, X) >= I(X, f(X)) >= I(X, g(f(X)))), estimated across the cells of one image.
 *
 * Definition: the samples are map cells (a seeded random subset of `samples` cells). X is the grey
 * level of the s x s input patch under the cell (s² values, dequantised by adding uniform noise of
 * one 8-bit grey level, since the photo is quantised and the estimator must not see ties); Z is the
 * cell's feature vector projected on its top `dims` principal components (standardised channels).
 * The estimate is KSG estimator 1 with k = `k` ({@link ksgMutualInfo}), in nats; the Gaussian
 * (log-determinant) estimate on the same samples is reported alongside.
 *
 * Limits and bias: for a deterministic network the MI between an image and its full feature map
 * is infinite or undefined; what is estimated is the dependence between a cell's pixels and that
 * cell's features across positions, a finite, local quantity. The grey and PCA projections can only
 * lose information (data-processing inequality), so this is an estimate of a lower bound. KSG is
 * biased towards 0 when the MI is large (it saturates near ln(n / k)) and assumes independent samples,
 * while neighbouring cells are correlated. Compare values between architectures and depths at equal
 * settings, not as absolute bits.
 * @module
 */
import { createRng, rngFloat, rngSample } from "../data/rng.ts";
import type { Matrix } from "./linalg.ts";
import { gaussianMutualInfo, ksgMutualInfo } from "./mutual_info.ts";
import { cellSize, type FeatureMap, featureRows, type FloatImage, greyRows, patchRows, pcaProject, rowsAt } from "./samples.ts";

/** Options of {@link inputFeatureInformation}. */
export interface InformationOptions {
  /** Cells sampled (default 1024; all cells when the map has fewer). */
  samples?: number;
  /** Principal components of the features kept (default 4). */
  dims?: number;
  /** Neighbours of the KSG estimator (default 3). */
  k?: number;
  /** Seed of the cell subset and the dequantisation noise. */
  seed?: number;
}

/** Both estimates, in nats. */
export interface InformationScore {
  ksg: number;
  gaussian: number;
}

/** Estimate I(patch; features) across the cells of one image (see the module notes). */
export function inputFeatureInformation(f: FeatureMap, img: FloatImage, opts: InformationOptions = {}): InformationScore {
  const s = cellSize(f, img);
  const n = f.height * f.width;
  const rng = createRng(opts.seed ?? 0);
  const idx = n > (opts.samples ?? 1024) ? rngSample(rng, [...Array(n).keys()], opts.samples ?? 1024).sort((a, b) => a - b) : [...Array(n).keys()];
  const x: Matrix = greyRows(rowsAt(patchRows(img, s), idx));
  for (let i = 0; i < x.data.length; i++) x.data[i] += (rngFloat(rng) - 0.5) / 255;
  const z = pcaProject(rowsAt(featureRows(f, 1), idx), opts.dims ?? 4);
  return { ksg: ksgMutualInfo(x, z, opts.k ?? 3), gaussian: gaussianMutualInfo(x, z) };
}
