/**
 * Image resizing in pure TypeScript with OpenCV's sampling conventions: bilinear as `cv2.INTER_LINEAR`
 * (half-pixel centres, edge clamping) and area averaging as `cv2.INTER_AREA` for shrinking (the official
 * validation loader shrinks with INTER_AREA, everything else uses INTER_LINEAR).
 * @module
 */
import { checkImage, type RgbImage } from "./image.ts";

/** Interpolation of {@link resizeImage}. */
export type Interpolation = "bilinear" | "area";

/** Per-axis source indices and weights of cv2 INTER_LINEAR for `dst` samples over `src` samples. */
function linearTaps(src: number, dst: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const scale = src / dst;
  const i0 = new Int32Array(dst), i1 = new Int32Array(dst), f = new Float32Array(dst);
  for (let d = 0; d < dst; d++) {
    let x = (d + 0.5) * scale - 0.5;
    let s = Math.floor(x);
    x -= s;
    if (s < 0) {
      s = 0;
      x = 0;
    }
    if (s >= src - 1) {
      s = src - 1;
      x = 0;
    }
    i0[d] = s;
    i1[d] = Math.min(s + 1, src - 1);
    f[d] = x;
  }
  return { i0, i1, f };
}

function resizeBilinear(img: RgbImage, w: number, h: number): RgbImage {
  const tx = linearTaps(img.width, w), ty = linearTaps(img.height, h);
  const src = img.pixels, sw = img.width;
  const out = new Uint8Array(w * h * 3);
  const x0 = new Int32Array(w), x1 = new Int32Array(w);
  for (let x = 0; x < w; x++) {
    x0[x] = tx.i0[x] * 3;
    x1[x] = tx.i1[x] * 3;
  }
  for (let y = 0; y < h; y++) {
    const r0 = ty.i0[y] * sw * 3, r1 = ty.i1[y] * sw * 3, fy = ty.f[y];
    let o = y * w * 3;
    for (let x = 0; x < w; x++) {
      const fx = tx.f[x];
      const a = r0 + x0[x], b = r0 + x1[x], c = r1 + x0[x], d = r1 + x1[x];
      for (let k = 0; k < 3; k++) {
        const top = src[a + k] + (src[b + k] - src[a + k]) * fx;
        const bot = src[c + k] + (src[d + k] - src[c + k]) * fx;
        out[o++] = Math.round(top + (bot - top) * fy);
      }
    }
  }
  return { pixels: out, width: w, height: h };
}

/** Per-axis area weights: for each destination sample, the covered source samples and their fractions. */
function areaTaps(src: number, dst: number): { start: Int32Array; weights: Float32Array[] } {
  const scale = src / dst;
  const start = new Int32Array(dst);
  const weights: Float32Array[] = [];
  for (let d = 0; d < dst; d++) {
    const a = d * scale, b = Math.min((d + 1) * scale, src);
    const s0 = Math.floor(a), s1 = Math.ceil(b);
    const wts = new Float32Array(s1 - s0);
    for (let s = s0; s < s1; s++) wts[s - s0] = (Math.min(b, s + 1) - Math.max(a, s)) / (b - a);
    start[d] = s0;
    weights.push(wts);
  }
  return { start, weights };
}

function resizeArea(img: RgbImage, w: number, h: number): RgbImage {
  const tx = areaTaps(img.width, w), ty = areaTaps(img.height, h);
  const sw = img.width, sh = img.height, src = img.pixels;
  // horizontal pass into float rows, then vertical pass
  const tmp = new Float32Array(sh * w * 3);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < w; x++) {
      const wts = tx.weights[x], s0 = tx.start[x];
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < wts.length; k++) {
        const p = (y * sw + s0 + k) * 3;
        r += src[p] * wts[k];
        g += src[p + 1] * wts[k];
        b += src[p + 2] * wts[k];
      }
      const o = (y * w + x) * 3;
      tmp[o] = r;
      tmp[o + 1] = g;
      tmp[o + 2] = b;
    }
  }
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const wts = ty.weights[y], s0 = ty.start[y];
    for (let x = 0; x < w * 3; x++) {
      let v = 0;
      for (let k = 0; k < wts.length; k++) v += tmp[(s0 + k) * w * 3 + x] * wts[k];
      out[y * w * 3 + x] = Math.min(255, Math.round(v));
    }
  }
  return { pixels: out, width: w, height: h };
}

/**
 * `img` resized to w x h. `bilinear` mirrors cv2.resize INTER_LINEAR (float arithmetic instead of OpenCV's
 * 11-bit fixed point: values may differ by 1); `area` mirrors INTER_AREA when shrinking and falls back to
 * bilinear when enlarging (as OpenCV does). Returns `img` itself when the size is unchanged.
 */
export function resizeImage(
  img: RgbImage,
  w: number,
  h: number,
  opts: { interpolation?: Interpolation } = {},
): RgbImage {
  checkImage(img, "resizeImage");
  if (!(w >= 1 && h >= 1) || !Number.isInteger(w) || !Number.isInteger(h)) {
    throw new RangeError(`resizeImage: expected a positive integer size, got ${w}x${h}`);
  }
  if (w === img.width && h === img.height) return img;
  const shrinking = w <= img.width && h <= img.height;
  if ((opts.interpolation ?? "bilinear") === "area" && shrinking) return resizeArea(img, w, h);
  return resizeBilinear(img, w, h);
}

/**
 * The official `load_image` resize: long side to `size` (`r = size / max(h, w)`, new size
 * `int(w * r) x int(h * r)`), bilinear when augmenting or enlarging, area when shrinking for validation.
 * Returns the image and the ratio r.
 */
export function resizeLongSide(
  img: RgbImage,
  size: number,
  augment: boolean,
): { image: RgbImage; ratio: number } {
  const r = size / Math.max(img.width, img.height);
  if (r === 1) return { image: img, ratio: 1 };
  const w = Math.max(1, Math.floor(img.width * r)), h = Math.max(1, Math.floor(img.height * r));
  const interpolation: Interpolation = augment || r > 1 ? "bilinear" : "area";
  return { image: resizeImage(img, w, h, { interpolation }), ratio: r };
}
