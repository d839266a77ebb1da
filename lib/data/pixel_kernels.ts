/**
 * Optional native loops for the augmentation's per-pixel work. The data pipeline is plain TypeScript
 * (it runs in a browser too); a backend that has faster loops giving the same bytes installs them here
 * (the native backend does when it registers, lib/backend/native/pixel_ops.ts), and
 * {@link warpImage}'s and {@link applyHsvGains}' callers never see the difference.
 * @module
 */

/** Per-pixel loops with exactly the results of the TypeScript ones (see lib/data/affine.ts, hsv.ts). */
export interface PixelKernels {
  /** Bilinear warp of `src` (sw x sh RGB) through `inv` (output -> source, row-major 3x3) into `dst` (dw x dh). */
  warp(
    src: Uint8Array,
    sw: number,
    sh: number,
    dst: Uint8Array,
    dw: number,
    dh: number,
    inv: Float64Array,
    affine: boolean,
    border: number,
  ): void;
  /**
   * OpenCV 8-bit RGB -> HSV -> RGB of `src` into `dst` through `luts` = [lh, ls, lv] (768 bytes), with
   * the RGB2HSV division tables `divs` = [hdiv, sdiv] (512 values, lib/data/hsv.ts).
   */
  hsv(src: Uint8Array, dst: Uint8Array, luts: Uint8Array, divs: Int32Array): void;
}

let installed: PixelKernels | undefined;

/**
 * Install (or with `undefined` remove) the native pixel loops; returns the ones replaced.
 *
 * @example
 * ```ts
 * const before = setPixelKernels(undefined); // plain TypeScript loops from here on
 * setPixelKernels(before);
 * ```
 */
export function setPixelKernels(k: PixelKernels | undefined): PixelKernels | undefined {
  const before = installed;
  installed = k;
  return before;
}

/** The installed pixel loops, if any. */
export function pixelKernels(): PixelKernels | undefined {
  return installed;
}
