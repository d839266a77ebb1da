/**
 * 2-D maps as colour images, the way `plt.imshow(map)` shows them (official issue #223): values
 * normalised to [0, 1] over the map (min to max, or robust percentiles), then the viridis colour map.
 * Pure functions on plain rasters.
 * @module
 */
import type { RgbImage } from "../data/image.ts";

/** A single-channel 2-D map, row-major. */
export interface ScalarMap {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

/** Viridis (matplotlib's default colour map) at 9 evenly spaced stops, RGB 0-255. */
const VIRIDIS: readonly [number, number, number][] = [
  [68, 1, 84], [72, 40, 120], [62, 73, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [110, 206, 88], [253, 231, 37],
];

/** Viridis colour of `t` in [0, 1] (clamped; NaN gives black). */
export function viridis(t: number): [number, number, number] {
  if (Number.isNaN(t)) return [0, 0, 0];
  const u = Math.min(Math.max(t, 0), 1) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(u), VIRIDIS.length - 2);
  const f = u - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + f * (b[c] - a[c]))) as [number, number, number];
}

/** How a map is scaled to [0, 1] for display. */
export type Normalize = "minmax" | { percentile: number } | { range: [number, number] };

/**
 * The display range of a map: min..max (`"minmax"`, what imshow does), the p-th and (100-p)-th
 * percentiles (`{percentile: p}`, robust to a few extreme cells), or a fixed range.
 */
export function displayRange(map: ScalarMap, norm: Normalize = "minmax"): [number, number] {
  if (typeof norm === "object" && "range" in norm) return norm.range;
  const v = Array.from(map.data).filter(Number.isFinite);
  if (!v.length) return [0, 1];
  if (norm === "minmax") return [Math.min(...v), Math.max(...v)];
  v.sort((a, b) => a - b);
  const at = (q: number) => v[Math.min(v.length - 1, Math.max(0, Math.round(q / 100 * (v.length - 1))))];
  return [at(norm.percentile), at(100 - norm.percentile)];
}

/** Normalise a map to [0, 1] (a constant map becomes 0.5) and colour it with viridis. */
export function heatmapImage(map: ScalarMap, norm: Normalize = "minmax"): RgbImage {
  if (map.data.length !== map.width * map.height) {
    throw new RangeError(`Cannot draw a ${map.width}x${map.height} map from ${map.data.length} values`);
  }
  const [lo, hi] = displayRange(map, norm);
  const pixels = new Uint8Array(map.width * map.height * 3);
  for (let i = 0; i < map.data.length; i++) {
    const t = hi > lo ? (map.data[i] - lo) / (hi - lo) : 0.5;
    pixels.set(viridis(t), i * 3);
  }
  return { pixels, width: map.width, height: map.height };
}

/** Enlarge an RGB image by an integer factor, repeating pixels (crisp cells in figures). */
export function upscaleNearest(img: RgbImage, factor: number): RgbImage {
  if (!(Number.isInteger(factor) && factor >= 1)) throw new RangeError(`factor must be a positive integer, got ${factor}`);
  if (factor === 1) return img;
  const width = img.width * factor;
  const height = img.height * factor;
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.floor(y / factor);
    for (let x = 0; x < width; x++) {
      const s = (sy * img.width + Math.floor(x / factor)) * 3;
      pixels.set(img.pixels.subarray(s, s + 3), (y * width + x) * 3);
    }
  }
  return { pixels, width, height };
}
