/**
 * Random perspective / affine augmentation of the official loader (utils/augmentations.py
 * `random_perspective`): `M = T S R P C` (centre, perspective, rotation + scale, shear, translation), the
 * image warped bilinearly with border 114 (cv2.warpAffine / warpPerspective), boxes transformed by their
 * four corners, clipped and filtered by `box_candidates`.
 * @module
 */
import { checkImage, PAD_VALUE, type RgbImage } from "./image.ts";
import { boxCandidates, selectRows } from "./boxes.ts";
import { type Rng, rngUniform } from "./rng.ts";
import { pixelKernels } from "./pixel_kernels.ts";

/** Augmentation strengths (hyp keys degrees, translate, scale, shear, perspective). */
export interface PerspectiveHyp {
  degrees: number;
  translate: number;
  scale: number;
  shear: number;
  perspective: number;
}

/** A drawn transform: row-major 3x3 matrix source -> output pixels, its scale, the output size. */
export interface PerspectiveDraw {
  matrix: Float64Array;
  scale: number;
  width: number;
  height: number;
}

function matmul3(a: Float64Array, b: Float64Array): Float64Array {
  const o = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      o[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
    }
  }
  return o;
}

const eye = (): Float64Array => new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);

/**
 * Draws the transform for a `srcW x srcH` image; the output is `srcW + 2 border[1]` x
 * `srcH + 2 border[0]` (official mosaic border: -s/2, i.e. a 2s canvas gives an s output). Draw order
 * as the official: perspective x, y, angle, scale, shear x, y, translation x, y.
 */
export function samplePerspective(
  rng: Rng,
  size: { width: number; height: number },
  hyp: PerspectiveHyp,
  border: [number, number] = [0, 0],
): PerspectiveDraw {
  const height = size.height + 2 * border[0], width = size.width + 2 * border[1];
  const C = eye();
  C[2] = -size.width / 2;
  C[5] = -size.height / 2;
  const P = eye();
  P[6] = rngUniform(rng, -hyp.perspective, hyp.perspective);
  P[7] = rngUniform(rng, -hyp.perspective, hyp.perspective);
  const a = (rngUniform(rng, -hyp.degrees, hyp.degrees) * Math.PI) / 180;
  const s = rngUniform(rng, 1 - hyp.scale, 1 + hyp.scale);
  const R = eye(); // cv2.getRotationMatrix2D(angle=a, center=(0, 0), scale=s)
  R[0] = s * Math.cos(a);
  R[1] = s * Math.sin(a);
  R[3] = -s * Math.sin(a);
  R[4] = s * Math.cos(a);
  const S = eye();
  S[1] = Math.tan((rngUniform(rng, -hyp.shear, hyp.shear) * Math.PI) / 180);
  S[3] = Math.tan((rngUniform(rng, -hyp.shear, hyp.shear) * Math.PI) / 180);
  const T = eye();
  T[2] = rngUniform(rng, 0.5 - hyp.translate, 0.5 + hyp.translate) * width;
  T[5] = rngUniform(rng, 0.5 - hyp.translate, 0.5 + hyp.translate) * height;
  const matrix = matmul3(T, matmul3(S, matmul3(R, matmul3(P, C))));
  return { matrix, scale: s, width, height };
}

function invert3(m: Float64Array): Float64Array {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), Cc = d * h - e * g;
  const det = a * A + b * B + c * Cc;
  if (Math.abs(det) < 1e-12) throw new RangeError(`warp: the transform matrix is singular (det ${det})`);
  return new Float64Array([
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    Cc / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ]);
}

/**
 * `img` warped by the 3x3 `matrix` (source -> output pixel coordinates) into `width x height`, bilinear,
 * constant border 114. Mirrors cv2.warpAffine (last row 0 0 1) / cv2.warpPerspective in float arithmetic.
 * Runs the installed native loop when there is one (lib/data/pixel_kernels.ts; same bytes).
 */
export function warpImage(
  img: RgbImage,
  matrix: Float64Array,
  size: { width: number; height: number },
): RgbImage {
  checkImage(img, "warpImage");
  const { width, height } = size;
  const inv = invert3(matrix);
  const affine = matrix[6] === 0 && matrix[7] === 0;
  const src = img.pixels, sw = img.width, sh = img.height, row = sw * 3;
  const out = new Uint8Array(width * height * 3);
  const B = PAD_VALUE;
  const native = pixelKernels();
  if (native) {
    native.warp(src, sw, sh, out, width, height, inv, affine, B);
    return { pixels: out, width, height };
  }
  const [a0, a1, a2, b0, b1, b2, c0, c1, c2] = inv;
  let o = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++, o += 3) {
      let sx = a0 * x + a1 * y + a2, sy = b0 * x + b1 * y + b2;
      if (!affine) {
        const w = c0 * x + c1 * y + c2;
        sx /= w;
        sy /= w;
      }
      const x0 = Math.floor(sx), y0 = Math.floor(sy);
      if (x0 < -1 || y0 < -1 || x0 >= sw || y0 >= sh || sx !== sx) {
        out[o] = out[o + 1] = out[o + 2] = B;
        continue;
      }
      const fx = sx - x0, fy = sy - y0;
      const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
      const p = y0 * row + x0 * 3, q = p + row;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < sw && y0 + 1 < sh) {
        out[o] = (src[p] * w00 + src[p + 3] * w01 + src[q] * w10 + src[q + 3] * w11 + 0.5) | 0;
        out[o + 1] = (src[p + 1] * w00 + src[p + 4] * w01 + src[q + 1] * w10 + src[q + 4] * w11 + 0.5) | 0;
        out[o + 2] = (src[p + 2] * w00 + src[p + 5] * w01 + src[q + 2] * w10 + src[q + 5] * w11 + 0.5) | 0;
      } else {
        const in0 = y0 >= 0, in1 = y0 + 1 < sh, ix0 = x0 >= 0, ix1 = x0 + 1 < sw;
        for (let k = 0; k < 3; k++) {
          const v00 = in0 && ix0 ? src[p + k] : B, v01 = in0 && ix1 ? src[p + 3 + k] : B;
          const v10 = in1 && ix0 ? src[q + k] : B, v11 = in1 && ix1 ? src[q + 3 + k] : B;
          out[o + k] = (v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11 + 0.5) | 0;
        }
      }
    }
  }
  return { pixels: out, width, height };
}

/**
 * Pixel `[c, x1, y1, x2, y2]` rows through `draw`: corners transformed, axis-aligned min/max, clipped to the
 * output, then filtered by box_candidates against the original boxes times the scale (area_thr 0.1).
 */
export function transformLabels(labels: Float32Array, draw: PerspectiveDraw): Float32Array {
  const m = draw.matrix, n = labels.length / 5;
  const before = new Float64Array(4 * n), after = new Float64Array(4 * n);
  const moved = new Float32Array(labels.length);
  for (let i = 0; i < n; i++) {
    const [x1, y1, x2, y2] = [labels[5 * i + 1], labels[5 * i + 2], labels[5 * i + 3], labels[5 * i + 4]];
    let xmin = Infinity, ymin = Infinity, xmax = -Infinity, ymax = -Infinity;
    for (const [x, y] of [[x1, y1], [x2, y2], [x1, y2], [x2, y1]]) {
      let u = m[0] * x + m[1] * y + m[2], v = m[3] * x + m[4] * y + m[5];
      if (m[6] !== 0 || m[7] !== 0) {
        const w = m[6] * x + m[7] * y + m[8];
        u /= w;
        v /= w;
      }
      xmin = Math.min(xmin, u), xmax = Math.max(xmax, u), ymin = Math.min(ymin, v), ymax = Math.max(ymax, v);
    }
    const nb = [
      Math.min(Math.max(xmin, 0), draw.width),
      Math.min(Math.max(ymin, 0), draw.height),
      Math.min(Math.max(xmax, 0), draw.width),
      Math.min(Math.max(ymax, 0), draw.height),
    ];
    after.set(nb, 4 * i);
    before.set([x1 * draw.scale, y1 * draw.scale, x2 * draw.scale, y2 * draw.scale], 4 * i);
    moved[5 * i] = labels[5 * i];
    moved.set(nb, 5 * i + 1);
  }
  return selectRows(moved, boxCandidates(before, after, { areaThr: 0.1 }));
}

/**
 * Official `random_perspective` on pixel `[c, x1, y1, x2, y2]` labels: draws the transform, warps the
 * image (skipped when there is no border and M is the identity) and transforms the labels.
 */
export function randomPerspective(
  img: RgbImage,
  labels: Float32Array,
  rng: Rng,
  opts: { hyp: PerspectiveHyp; border?: [number, number] },
): { image: RgbImage; labels: Float32Array } {
  const border = opts.border ?? [0, 0];
  const draw = samplePerspective(rng, img, opts.hyp, border);
  const identity = draw.matrix.every((v, i) => v === (i % 4 === 0 ? 1 : 0));
  const image = border[0] !== 0 || border[1] !== 0 || !identity ? warpImage(img, draw.matrix, draw) : img;
  return { image, labels: labels.length ? transformLabels(labels, draw) : labels };
}
