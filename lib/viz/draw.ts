/**
 * Drawing detections into RGB (HWC uint8) buffers: box outlines with a filled label tag in a 5 x 7 bitmap
 * font, a class colour palette, and a grid of images (the official `train_batch*.jpg` / Ultralytics
 * `plot_images` preview). Pure functions: each returns a new buffer.
 * @module
 */
import type { RgbImage } from "../data/image.ts";
import { glyph, GLYPH_H, GLYPH_W } from "./font5x7.ts";

/** An RGB colour. */
export type Rgb = [number, number, number];

/** 20 distinct colours, cycled by class id. */
export const CLASS_COLORS: readonly Rgb[] = [
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
  [210, 245, 60],
  [250, 190, 212],
  [0, 128, 128],
  [220, 190, 255],
  [170, 110, 40],
  [255, 250, 200],
  [128, 0, 0],
  [170, 255, 195],
  [128, 128, 0],
  [255, 215, 180],
  [0, 0, 128],
  [128, 128, 128],
];

/** The palette colour of class `cls`. */
export function classColor(cls: number): Rgb {
  return CLASS_COLORS[((Math.trunc(cls) % CLASS_COLORS.length) + CLASS_COLORS.length) % CLASS_COLORS.length];
}

/** Options of {@link drawBoxes}. */
export interface DrawOptions {
  /** Outline width in pixels. Default max(1, round((w + h) / 2 * 0.004)). */
  lineWidth?: number;
  /** Font pixel size (1 = 5 x 7 glyphs). Default 1 below 400 px mean side, else 2. */
  fontScale?: number;
}

function fillRect(px: Uint8Array, w: number, h: number, r: [number, number, number, number], c: Rgb): void {
  const x1 = Math.max(0, Math.floor(r[0])), y1 = Math.max(0, Math.floor(r[1]));
  const x2 = Math.min(w, Math.ceil(r[2])), y2 = Math.min(h, Math.ceil(r[3]));
  for (let y = y1; y < y2; y++) {
    for (let x = x1; x < x2; x++) {
      const o = (y * w + x) * 3;
      px[o] = c[0];
      px[o + 1] = c[1];
      px[o + 2] = c[2];
    }
  }
}

/** Draws `text` with its top-left at (x, y) in place (glyph cells 6 x 8 font pixels); returns its width. */
export function drawText(
  px: Uint8Array,
  size: { width: number; height: number },
  at: { x: number; y: number },
  text: string,
  opts: { color: Rgb; scale?: number },
): number {
  const s = opts.scale ?? 1;
  let cx = at.x;
  for (const ch of text) {
    const rows = glyph(ch);
    for (let gy = 0; gy < GLYPH_H; gy++) {
      for (let gx = 0; gx < GLYPH_W; gx++) {
        if (!(rows[gy] & (1 << (GLYPH_W - 1 - gx)))) continue;
        fillRect(px, size.width, size.height, [
          cx + gx * s,
          at.y + gy * s,
          cx + (gx + 1) * s,
          at.y + (gy + 1) * s,
        ], opts.color);
      }
    }
    cx += (GLYPH_W + 1) * s;
  }
  return cx - at.x;
}

/**
 * `pixels` (w x h RGB) with boxes drawn: `boxes` flat `[x1, y1, x2, y2]` pixel rows, `labels[i]` the tag
 * text of box i ("" for none), `colors[i]` its colour. The tag sits above the box (inside when at the top).
 */
export function drawBoxes(
  pixels: Uint8Array,
  w: number,
  h: number,
  boxes: ArrayLike<number>,
  labels: readonly string[],
  colors: readonly Rgb[],
  opts: DrawOptions = {},
): Uint8Array {
  if (pixels.length !== w * h * 3) {
    throw new RangeError(`drawBoxes: expected ${w * h * 3} pixel values, got ${pixels.length}`);
  }
  if (boxes.length % 4 !== 0) {
    throw new RangeError(`drawBoxes: expected 4 values per box, got ${boxes.length}`);
  }
  const out = pixels.slice();
  const lw = opts.lineWidth ?? Math.max(1, Math.round(((w + h) / 2) * 0.004));
  const fs = opts.fontScale ?? ((w + h) / 2 < 400 ? 1 : 2);
  const n = boxes.length / 4;
  for (let i = 0; i < n; i++) {
    const [x1, y1, x2, y2] = [boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]].map(
      Math.round,
    );
    const c = colors[i] ?? classColor(i);
    fillRect(out, w, h, [x1, y1, x2, y1 + lw], c);
    fillRect(out, w, h, [x1, y2 - lw, x2, y2], c);
    fillRect(out, w, h, [x1, y1, x1 + lw, y2], c);
    fillRect(out, w, h, [x2 - lw, y1, x2, y2], c);
    const text = labels[i] ?? "";
    if (!text) continue;
    const tw = text.length * (GLYPH_W + 1) * fs + fs, th = (GLYPH_H + 2) * fs;
    const ty = y1 - th >= 0 ? y1 - th : y1;
    const tx = Math.min(Math.max(0, x1), Math.max(0, w - tw));
    fillRect(out, w, h, [tx, ty, tx + tw, ty + th], c);
    const luma = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
    drawText(out, { width: w, height: h }, { x: tx + fs, y: ty + fs }, text, {
      color: luma > 140 ? [0, 0, 0] : [255, 255, 255],
      scale: fs,
    });
  }
  return out;
}

/**
 * Images laid out in a grid of `cols` columns (default ceil(sqrt(n))) with `gap` pixels between cells
 * (default 2) on a `background` (default white). Cells are as large as the largest image; smaller images
 * sit at the cell's top-left.
 */
export function tileGrid(
  images: readonly RgbImage[],
  opts: { cols?: number; gap?: number; background?: number } = {},
): RgbImage {
  if (!images.length) throw new RangeError("tileGrid: expected at least one image, got none");
  const cols = opts.cols ?? Math.ceil(Math.sqrt(images.length));
  const rows = Math.ceil(images.length / cols), gap = opts.gap ?? 2;
  const cw = Math.max(...images.map((i) => i.width)), ch = Math.max(...images.map((i) => i.height));
  const width = cols * cw + (cols - 1) * gap, height = rows * ch + (rows - 1) * gap;
  const pixels = new Uint8Array(width * height * 3).fill(opts.background ?? 255);
  images.forEach((img, k) => {
    const ox = (k % cols) * (cw + gap), oy = Math.floor(k / cols) * (ch + gap);
    for (let y = 0; y < img.height; y++) {
      pixels.set(
        img.pixels.subarray(y * img.width * 3, (y + 1) * img.width * 3),
        ((oy + y) * width + ox) * 3,
      );
    }
  });
  return { pixels, width, height };
}
