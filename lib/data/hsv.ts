/**
 * HSV colour-space augmentation (utils/augmentations.py `augment_hsv`): random gains
 * `r = 1 + U(-1, 1) [hgain, sgain, vgain]` applied through lookup tables in OpenCV's 8-bit HSV
 * (H in [0, 180)), `H' = (H r_h) mod 180`, `S' = clip(S r_s)`, `V' = clip(V r_v)`. The RGB <-> HSV
 * conversions follow OpenCV's 8-bit code paths (integer RGB2HSV tables, float HSV2RGB).
 * @module
 */
import { checkImage, type RgbImage } from "./image.ts";
import { type Rng, rngUniform } from "./rng.ts";
import { pixelKernels } from "./pixel_kernels.ts";

const SHIFT = 12;
// OpenCV's RGB2HSV division tables, one buffer (also handed to the native loop): HDIV then SDIV.
const DIVS = new Int32Array(512);
const HDIV = DIVS.subarray(0, 256), SDIV = DIVS.subarray(256);
for (let i = 1; i < 256; i++) {
  HDIV[i] = Math.round((180 << SHIFT) / (6 * i));
  SDIV[i] = Math.round((255 << SHIFT) / i);
}
// HSV2RGB sector table: [b, g, r] picks among (v, v(1-s), v(1-s f), v(1-s(1-f))) as in OpenCV
const SECTOR = [[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]];

/** OpenCV 8-bit RGB -> HSV of one pixel (H in [0, 180), S and V in [0, 255]). */
export function rgbToHsv8(r: number, g: number, b: number): [number, number, number] {
  const v = Math.max(r, g, b), vmin = Math.min(r, g, b), diff = v - vmin;
  const s = (diff * SDIV[v] + (1 << (SHIFT - 1))) >> SHIFT;
  let h = v === r ? g - b : v === g ? b - r + 2 * diff : r - g + 4 * diff;
  h = (h * HDIV[diff] + (1 << (SHIFT - 1))) >> SHIFT;
  if (h < 0) h += 180;
  return [h, s, v];
}

/** OpenCV 8-bit HSV -> RGB of one pixel (float path, rounded and saturated). */
export function hsvToRgb8(h: number, s: number, v: number): [number, number, number] {
  const vs = v / 255, ss = s / 255;
  if (ss === 0) return [v, v, v];
  let hh = h * (6 / 180);
  if (hh < 0) hh += 6;
  if (hh >= 6) hh -= 6;
  const sector = Math.floor(hh);
  const f = hh - sector;
  const tab = [vs, vs * (1 - ss), vs * (1 - ss * f), vs * (1 - ss * (1 - f))];
  const [bi, gi, ri] = SECTOR[sector];
  const q = (x: number) => Math.min(255, Math.max(0, Math.round(x * 255)));
  return [q(tab[ri]), q(tab[gi]), q(tab[bi])];
}

/** The three lookup tables of augment_hsv for gains `r` (float64 product, truncated to uint8). */
export function hsvLuts(r: [number, number, number]): [Uint8Array, Uint8Array, Uint8Array] {
  const lh = new Uint8Array(256), ls = new Uint8Array(256), lv = new Uint8Array(256);
  for (let x = 0; x < 256; x++) {
    lh[x] = Math.trunc((x * r[0]) % 180);
    ls[x] = Math.trunc(Math.min(Math.max(x * r[1], 0), 255));
    lv[x] = Math.trunc(Math.min(Math.max(x * r[2], 0), 255));
  }
  return [lh, ls, lv];
}

/**
 * `img` with the gains `r` applied in HSV (a new image). Deterministic part of augment_hsv. Runs the
 * installed native loop when there is one (lib/data/pixel_kernels.ts; same bytes).
 */
export function applyHsvGains(img: RgbImage, r: [number, number, number]): RgbImage {
  checkImage(img, "applyHsvGains");
  const [lh, ls, lv] = hsvLuts(r);
  const src = img.pixels, out = new Uint8Array(src.length);
  const native = pixelKernels();
  if (native) {
    const luts = new Uint8Array(768);
    luts.set(lh, 0), luts.set(ls, 256), luts.set(lv, 512);
    native.hsv(src, out, luts, DIVS);
    return { pixels: out, width: img.width, height: img.height };
  }
  const half = 1 << (SHIFT - 1), hscale = 6 / 180;
  // rgbToHsv8 and hsvToRgb8 inlined (no allocation per pixel)
  for (let o = 0; o < src.length; o += 3) {
    const R = src[o], G = src[o + 1], B = src[o + 2];
    const v = R > G ? (R > B ? R : B) : (G > B ? G : B);
    const vmin = R < G ? (R < B ? R : B) : (G < B ? G : B);
    const diff = v - vmin;
    const s = (diff * SDIV[v] + half) >> SHIFT;
    let h = v === R ? G - B : v === G ? B - R + 2 * diff : R - G + 4 * diff;
    h = (h * HDIV[diff] + half) >> SHIFT;
    if (h < 0) h += 180;
    const H = lh[h], S = ls[s], V = lv[v];
    if (S === 0) {
      out[o] = out[o + 1] = out[o + 2] = V;
      continue;
    }
    const vs = V / 255, ss = S / 255;
    let hh = H * hscale;
    if (hh >= 6) hh -= 6;
    const sector = Math.floor(hh), f = hh - sector;
    const t0 = vs, t1 = vs * (1 - ss), t2 = vs * (1 - ss * f), t3 = vs * (1 - ss * (1 - f));
    let rr: number, gg: number, bb: number;
    switch (sector) {
      case 0:
        bb = t1;
        gg = t3;
        rr = t0;
        break;
      case 1:
        bb = t1;
        gg = t0;
        rr = t2;
        break;
      case 2:
        bb = t3;
        gg = t0;
        rr = t1;
        break;
      case 3:
        bb = t0;
        gg = t2;
        rr = t1;
        break;
      case 4:
        bb = t0;
        gg = t1;
        rr = t3;
        break;
      default:
        bb = t2;
        gg = t1;
        rr = t0;
    }
    out[o] = Math.round(rr * 255);
    out[o + 1] = Math.round(gg * 255);
    out[o + 2] = Math.round(bb * 255);
  }
  return { pixels: out, width: img.width, height: img.height };
}

/**
 * Official augment_hsv: draws `r = U(-1, 1, 3) [hgain, sgain, vgain] + 1` and applies it; returns `img`
 * unchanged when all gains are 0.
 */
export function augmentHsv(img: RgbImage, rng: Rng, gains: { h: number; s: number; v: number }): RgbImage {
  if (!gains.h && !gains.s && !gains.v) return img;
  const r: [number, number, number] = [
    rngUniform(rng, -1, 1) * gains.h + 1,
    rngUniform(rng, -1, 1) * gains.s + 1,
    rngUniform(rng, -1, 1) * gains.v + 1,
  ];
  return applyHsvGains(img, r);
}
