/**
 * Letterboxing: resize keeping the aspect ratio, then pad with grey 114 to the target shape (or, with
 * `auto`, only up to the next multiple of the stride). Mirrors utils/augmentations.py `letterbox`.
 * @module
 */
import { blit, checkImage, filledImage, PAD_VALUE, type RgbImage } from "./image.ts";
import { type Interpolation, resizeImage } from "./resize.ts";

/** Options of {@link letterbox} (official defaults: auto true, scaleup true, stride 32). */
export interface LetterboxOptions {
  /** Pad only to a multiple of `stride` (minimum rectangle) instead of the full target. Default false. */
  auto?: boolean;
  /** Allow enlarging (false: only shrink, as validation does). Default true. */
  scaleup?: boolean;
  /** Stride for `auto`. Default 32. */
  stride?: number;
  /** Pad grey value. Default 114. */
  color?: number;
  /** Resize interpolation. Default bilinear (official INTER_LINEAR). */
  interpolation?: Interpolation;
}

/** Result of {@link letterbox}: the padded image and the transform original -> letterboxed pixels. */
export interface Letterboxed {
  image: RgbImage;
  /** Scale factor new / old (same for x and y). */
  ratio: number;
  /** Pixel offset [left, top] of the resized image inside the padded one (x' = x * ratio + pad). */
  pad: [number, number];
}

/** Python 3 `round` (half to even). */
export function pyRound(x: number): number {
  const r = Math.round(x);
  return (Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r) + 0;
}

/**
 * Letterbox `img` into `[newH, newW]`: ratio `r = min(newH / h, newW / w)` (at most 1 without scaleup),
 * resized to `round(w r) x round(h r)`, padding split as the official `top = round(dh - 0.1)`,
 * `left = round(dw - 0.1)`. Unlike the official code, `pad` reports the integer offset actually applied
 * (the official returns the half padding dw, dh, off by 0.5 px when the padding is odd).
 */
export function letterbox(img: RgbImage, shape: [number, number], opts: LetterboxOptions = {}): Letterboxed {
  checkImage(img, "letterbox");
  const [newH, newW] = shape;
  const stride = opts.stride ?? 32;
  let r = Math.min(newH / img.height, newW / img.width);
  if (opts.scaleup === false) r = Math.min(r, 1);
  const uw = pyRound(img.width * r), uh = pyRound(img.height * r);
  let dw = newW - uw, dh = newH - uh;
  if (opts.auto) {
    dw = dw % stride;
    dh = dh % stride;
  }
  dw /= 2;
  dh /= 2;
  const top = pyRound(dh - 0.1), bottom = pyRound(dh + 0.1);
  const left = pyRound(dw - 0.1), right = pyRound(dw + 0.1);
  const resized = resizeImage(img, uw, uh, { interpolation: opts.interpolation ?? "bilinear" });
  const out = filledImage(uw + left + right, uh + top + bottom, opts.color ?? PAD_VALUE);
  blit(out, resized, { sx: 0, sy: 0, dx: left, dy: top, w: uw, h: uh });
  return { image: out, ratio: r, pad: [left, top] };
}
