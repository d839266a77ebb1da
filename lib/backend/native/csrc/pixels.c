/* Augmentation kernels on 8-bit RGB images, bit-identical to the TypeScript loops they replace
 * (lib/data/affine.ts `warpImage`, lib/data/hsv.ts `applyHsvGains`): the same double arithmetic in the
 * same order and JavaScript's rounding, so a run gives the same bits with or without the shim. FMA
 * contraction would change the last bit of a weight, so it is off in this file. */
#pragma GCC optimize("fp-contract=off")
#include <math.h>
#include "yn.h"

/* Math.round for x >= 0 (ties up; exact, unlike floor(x + 0.5) just below a half). */
static inline double js_round(double x) {
  double r = floor(x);
  return x - r >= 0.5 ? r + 1.0 : r;
}

/* p: sw sh dw dh affine border; inv: the 3x3 output -> source matrix, row-major. Bilinear, constant
 * border `border` where a tap falls outside the source. */
YN_EXPORT int yn_warp_rgb8(const int32_t *p, const double *inv, const uint8_t *src, uint8_t *dst) {
  const int sw = p[0], sh = p[1], dw = p[2], dh = p[3], affine = p[4];
  const double B = p[5];
  if (sw < 1 || sh < 1 || dw < 0 || dh < 0) return YN_ERR_ARGS;
  const long row = 3L * sw;
  const double a0 = inv[0], a1 = inv[1], a2 = inv[2], b0 = inv[3], b1 = inv[4], b2 = inv[5];
  const double c0 = inv[6], c1 = inv[7], c2 = inv[8];
  long o = 0;
  for (int y = 0; y < dh; y++) {
    for (int x = 0; x < dw; x++, o += 3) {
      double sx = a0 * x + a1 * y + a2, sy = b0 * x + b1 * y + b2;
      if (!affine) {
        const double w = c0 * x + c1 * y + c2;
        sx /= w;
        sy /= w;
      }
      const double fx0 = floor(sx), fy0 = floor(sy);
      if (isnan(sx) || fx0 < -1 || fy0 < -1 || fx0 >= sw || fy0 >= sh) {
        dst[o] = dst[o + 1] = dst[o + 2] = (uint8_t)p[5];
        continue;
      }
      const long x0 = (long)fx0, y0 = (long)fy0;
      const double fx = sx - fx0, fy = sy - fy0;
      const double w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
      const long pp = y0 * row + x0 * 3, q = pp + row;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < sw && y0 + 1 < sh) {
        for (int k = 0; k < 3; k++) {
          dst[o + k] = (uint8_t)(int)(src[pp + k] * w00 + src[pp + 3 + k] * w01 + src[q + k] * w10 +
                                      src[q + 3 + k] * w11 + 0.5);
        }
      } else {
        const int in0 = y0 >= 0, in1 = y0 + 1 < sh, ix0 = x0 >= 0, ix1 = x0 + 1 < sw;
        for (int k = 0; k < 3; k++) {
          const double v00 = in0 && ix0 ? src[pp + k] : B, v01 = in0 && ix1 ? src[pp + 3 + k] : B;
          const double v10 = in1 && ix0 ? src[q + k] : B, v11 = in1 && ix1 ? src[q + 3 + k] : B;
          dst[o + k] = (uint8_t)(int)(v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11 + 0.5);
        }
      }
    }
  }
  return 0;
}

#define HSV_SHIFT 12 /* of OpenCV's RGB2HSV division tables (lib/data/hsv.ts) */

/* npix pixels of src through HSV with the lookup tables luts = [lh(256) ls(256) lv(256)] and OpenCV's
 * RGB2HSV division tables divs = [hdiv(256) sdiv(256)] (lib/data/hsv.ts) into dst. */
YN_EXPORT int yn_hsv_rgb8(int npix, const uint8_t *luts, const int32_t *divs, const uint8_t *src, uint8_t *dst) {
  if (npix < 0) return YN_ERR_ARGS;
  const uint8_t *lh = luts, *ls = luts + 256, *lv = luts + 512;
  const int32_t *hdiv = divs, *sdiv = divs + 256;
  const int half = 1 << (HSV_SHIFT - 1);
  const double hscale = 6.0 / 180.0;
  for (long o = 0; o < 3L * npix; o += 3) {
    const int R = src[o], G = src[o + 1], Bv = src[o + 2];
    const int v = R > G ? (R > Bv ? R : Bv) : (G > Bv ? G : Bv);
    const int vmin = R < G ? (R < Bv ? R : Bv) : (G < Bv ? G : Bv);
    const int diff = v - vmin;
    const int s = (diff * sdiv[v] + half) >> HSV_SHIFT;
    int h = v == R ? G - Bv : v == G ? Bv - R + 2 * diff : R - G + 4 * diff;
    h = (h * hdiv[diff] + half) >> HSV_SHIFT;
    if (h < 0) h += 180;
    const int H = lh[h], S = ls[s], V = lv[v];
    if (S == 0) {
      dst[o] = dst[o + 1] = dst[o + 2] = (uint8_t)V;
      continue;
    }
    const double vs = V / 255.0, ss = S / 255.0;
    double hh = H * hscale;
    if (hh >= 6) hh -= 6;
    const double sector = floor(hh), f = hh - sector;
    const double t0 = vs, t1 = vs * (1 - ss), t2 = vs * (1 - ss * f), t3 = vs * (1 - ss * (1 - f));
    double rr, gg, bb;
    switch ((int)sector) {
      case 0: bb = t1; gg = t3; rr = t0; break;
      case 1: bb = t1; gg = t0; rr = t2; break;
      case 2: bb = t3; gg = t0; rr = t1; break;
      case 3: bb = t0; gg = t2; rr = t1; break;
      case 4: bb = t0; gg = t1; rr = t3; break;
      default: bb = t2; gg = t1; rr = t0;
    }
    dst[o] = (uint8_t)(int)js_round(rr * 255);
    dst[o + 1] = (uint8_t)(int)js_round(gg * 255);
    dst[o + 2] = (uint8_t)(int)js_round(bb * 255);
  }
  return 0;
}
