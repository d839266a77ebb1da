/**
 * The 4-image mosaic of the official loader (utils/dataloaders.py `load_mosaic`): four images placed
 * around a random centre of a 2s x 2s grey canvas (top-left, top-right, bottom-left, bottom-right), cropped
 * where they overflow, labels shifted and clipped to the canvas. The random choices are drawn by
 * {@link sampleMosaic}; {@link mosaic4} is the deterministic composition.
 * @module
 */
import { blit, filledImage, type RgbImage } from "./image.ts";
import { clipXyxy, concatLabels, xywhnToXyxy } from "./boxes.ts";
import { type Rng, rngInt, rngShuffle, rngUniform } from "./rng.ts";

/** One mosaic tile: an image (already resized, long side s) and its normalised `[c, cx, cy, w, h]` rows. */
export interface MosaicTile {
  image: RgbImage;
  labels: Float32Array;
}

/** The random choices of one mosaic: the 4 dataset indices in placement order and the centre. */
export interface MosaicDraw {
  indices: [number, number, number, number];
  xc: number;
  yc: number;
}

/**
 * Draws a mosaic's indices (`index` plus 3 uniform picks with replacement, shuffled) and its centre
 * `int(U(s/2, 2s - s/2))` per axis, as `load_mosaic` does (yc first, then xc).
 */
export function sampleMosaic(rng: Rng, index: number, n: number, s: number): MosaicDraw {
  const border = Math.floor(s / 2);
  const yc = Math.floor(rngUniform(rng, border, 2 * s - border));
  const xc = Math.floor(rngUniform(rng, border, 2 * s - border));
  const idx = [index, rngInt(rng, 0, n - 1), rngInt(rng, 0, n - 1), rngInt(rng, 0, n - 1)];
  rngShuffle(rng, idx);
  return { indices: idx as [number, number, number, number], xc, yc };
}

/**
 * Composes four tiles around (xc, yc) on a 2s x 2s canvas filled with 114. Returns the canvas and the
 * labels as pixel `[c, x1, y1, x2, y2]` rows clipped to [0, 2s]. Mirrors `load_mosaic` up to (excluding)
 * copy-paste and random_perspective.
 */
export function mosaic4(
  tiles: readonly MosaicTile[],
  s: number,
  center: { xc: number; yc: number },
): { image: RgbImage; labels: Float32Array } {
  if (tiles.length !== 4) throw new RangeError(`mosaic4: expected 4 tiles, got ${tiles.length}`);
  const { xc, yc } = center;
  const canvas = filledImage(2 * s, 2 * s);
  const parts: Float32Array[] = [];
  tiles.forEach((t, i) => {
    const w = t.image.width, h = t.image.height;
    let x1a: number, y1a: number, x2a: number, y2a: number, x1b: number, y1b: number;
    if (i === 0) { // top left
      [x1a, y1a, x2a, y2a] = [Math.max(xc - w, 0), Math.max(yc - h, 0), xc, yc];
      [x1b, y1b] = [w - (x2a - x1a), h - (y2a - y1a)];
    } else if (i === 1) { // top right
      [x1a, y1a, x2a, y2a] = [xc, Math.max(yc - h, 0), Math.min(xc + w, 2 * s), yc];
      [x1b, y1b] = [0, h - (y2a - y1a)];
    } else if (i === 2) { // bottom left
      [x1a, y1a, x2a, y2a] = [Math.max(xc - w, 0), yc, xc, Math.min(2 * s, yc + h)];
      [x1b, y1b] = [w - (x2a - x1a), 0];
    } else { // bottom right
      [x1a, y1a, x2a, y2a] = [xc, yc, Math.min(xc + w, 2 * s), Math.min(2 * s, yc + h)];
      [x1b, y1b] = [0, 0];
    }
    const cw = Math.min(x2a - x1a, w - x1b), ch = Math.min(y2a - y1a, h - y1b);
    blit(canvas, t.image, { sx: x1b, sy: y1b, dx: x1a, dy: y1a, w: cw, h: ch });
    parts.push(xywhnToXyxy(t.labels, w, h, x1a - x1b, y1a - y1b));
  });
  return { image: canvas, labels: clipXyxy(concatLabels(parts), 2 * s, 2 * s) };
}
