/**
 * Aligned samples for the information measures: one sample per feature-map cell, pairing the cell's
 * feature vector (optionally with its k x k neighbourhood) with the input pixels it sits on (the
 * s x s patch, s = image size / map size). Also the held-out split (a checkerboard of blocks, so
 * held-out cells are not interleaved with training cells) and small helpers (grey level, PCA).
 * @module
 */
import { covariance, type Matrix, symEigen } from "./linalg.ts";
import { standardizeColumns } from "./mutual_info.ts";

/** A feature map of one image, HWC row-major. */
export interface FeatureMap {
  height: number;
  width: number;
  channels: number;
  data: Float32Array;
}

/** An image as floats in [0, 1], HWC row-major (3 channels). */
export interface FloatImage {
  height: number;
  width: number;
  data: Float32Array;
}

/** The cell size s (image pixels per map cell); throws unless the sizes divide evenly. */
export function cellSize(f: FeatureMap, img: FloatImage): number {
  const s = img.height / f.height;
  if (!Number.isInteger(s) || img.width / f.width !== s) {
    throw new RangeError(`Cannot align a ${f.height}x${f.width} map with a ${img.height}x${img.width} image: expected an integer stride`);
  }
  return s;
}

/**
 * Rows of feature vectors, one per cell (row-major cell order), each the concatenation of the
 * `window` x `window` neighbourhood (edge cells repeat the border; window odd).
 */
export function featureRows(f: FeatureMap, window = 1): Matrix {
  if (window < 1 || window % 2 === 0) throw new RangeError(`window must be odd and >= 1, got ${window}`);
  const r = (window - 1) / 2;
  const d = window * window * f.channels;
  const n = f.height * f.width;
  const out: Matrix = { rows: n, cols: d, data: new Float64Array(n * d) };
  for (let i = 0; i < f.height; i++) {
    for (let j = 0; j < f.width; j++) {
      let o = (i * f.width + j) * d;
      for (let di = -r; di <= r; di++) {
        const y = Math.min(Math.max(i + di, 0), f.height - 1);
        for (let dj = -r; dj <= r; dj++) {
          const x = Math.min(Math.max(j + dj, 0), f.width - 1);
          const src = (y * f.width + x) * f.channels;
          for (let c = 0; c < f.channels; c++) out.data[o++] = f.data[src + c];
        }
      }
    }
  }
  return out;
}

/** Rows of input patches: for each cell the s x s x 3 pixels under it (row-major inside the patch). */
export function patchRows(img: FloatImage, s: number): Matrix {
  const h = img.height / s;
  const w = img.width / s;
  const d = s * s * 3;
  const out: Matrix = { rows: h * w, cols: d, data: new Float64Array(h * w * d) };
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      let o = (i * w + j) * d;
      for (let y = i * s; y < (i + 1) * s; y++) {
        for (let x = j * s; x < (j + 1) * s; x++) for (let c = 0; c < 3; c++) out.data[o++] = img.data[(y * img.width + x) * 3 + c];
      }
    }
  }
  return out;
}

/** ITU-R BT.601 luma of RGB patch rows (`0.299 R + 0.587 G + 0.114 B` per pixel). */
export function greyRows(rgb: Matrix): Matrix {
  if (rgb.cols % 3) throw new RangeError(`Cannot convert to grey: ${rgb.cols} columns is not a multiple of 3`);
  const d = rgb.cols / 3;
  const out: Matrix = { rows: rgb.rows, cols: d, data: new Float64Array(rgb.rows * d) };
  for (let i = 0; i < rgb.rows * d; i++) {
    out.data[i] = 0.299 * rgb.data[3 * i] + 0.587 * rgb.data[3 * i + 1] + 0.114 * rgb.data[3 * i + 2];
  }
  return out;
}

/** Split flags of a checkerboard of `block` x `block` cells: true = training cell. */
export function checkerboardSplit(height: number, width: number, block = 8): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < height; i++) for (let j = 0; j < width; j++) out.push((Math.floor(i / block) + Math.floor(j / block)) % 2 === 0);
  return out;
}

/** The rows of `m` whose flag equals `want`. */
export function rowsWhere(m: Matrix, flags: boolean[], want = true): Matrix {
  const idx = flags.flatMap((f, i) => (f === want ? [i] : []));
  return rowsAt(m, idx);
}

/** The rows of `m` at `idx`, in that order. */
export function rowsAt(m: Matrix, idx: number[]): Matrix {
  const out: Matrix = { rows: idx.length, cols: m.cols, data: new Float64Array(idx.length * m.cols) };
  idx.forEach((r, k) => out.data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), k * m.cols));
  return out;
}

/** Projection of the standardised columns of `m` on their top-`q` principal components. */
export function pcaProject(m: Matrix, q: number): Matrix {
  const z = standardizeColumns(m);
  const q2 = Math.min(q, m.cols);
  const { vectors } = symEigen(covariance(z));
  const out: Matrix = { rows: m.rows, cols: q2, data: new Float64Array(m.rows * q2) };
  for (let i = 0; i < m.rows; i++) {
    for (let k = 0; k < q2; k++) {
      let s = 0;
      for (let j = 0; j < m.cols; j++) s += z.data[i * m.cols + j] * vectors.data[j * m.cols + k];
      out.data[i * q2 + k] = s;
    }
  }
  return out;
}

/** An 8-bit RGB image (`{pixels, width, height}`, HWC) as floats in [0, 1]. */
export function toFloatImage(img: { pixels: Uint8Array; width: number; height: number }): FloatImage {
  if (img.pixels.length !== img.width * img.height * 3) {
    throw new RangeError(`Cannot convert: expected ${img.width}x${img.height}x3 values, got ${img.pixels.length}`);
  }
  return { height: img.height, width: img.width, data: Float32Array.from(img.pixels, (v) => v / 255) };
}
