/* 2-D max and average pooling on NHWC float32, forward and input gradient, with tfjs semantics:
 * padding never wins a max, averages divide by the number of input pixels in the window, and a
 * max window routes its gradient to its first maximum (row-major scan). */
#include <math.h>
#include <string.h>
#include "yn.h"

enum { P_MAX = 0, P_AVG = 1, P_MAX_GRAD = 2, P_AVG_GRAD = 3 };

/* p: N H W C OH OW KH KW SH SW PT PL. kind 0/1: out[N,OH,OW,C] = pool(a = x). kind 2: out = dx from
 * a = x, b = dy. kind 3: out = dx from b = dy (a unused). */
YN_EXPORT int yn_pool(int kind, const int32_t *p, const float *a, const float *b, float *out) {
  yn_threads();
  const long N = p[0], H = p[1], W = p[2], C = p[3], OH = p[4], OW = p[5];
  const int KH = p[6], KW = p[7], SH = p[8], SW = p[9], PT = p[10], PL = p[11];
  if (kind < P_MAX || kind > P_AVG_GRAD || C < 1) return YN_ERR_ARGS;
  if (kind >= P_MAX_GRAD) memset(out, 0, sizeof(float) * N * H * W * C);
  if (kind >= P_MAX_GRAD) {
    /* Gradients: each image is independent (windows overlap only inside one image). */
#pragma omp parallel for schedule(static) if (N * OH * OW * C >= 16384 && N > 1)
    for (long n = 0; n < N; n++) {
      for (long oh = 0; oh < OH; oh++)
        for (long ow = 0; ow < OW; ow++) {
          const float *g = b + ((n * OH + oh) * OW + ow) * C;
          int h0 = (int)oh * SH - PT, w0 = (int)ow * SW - PL;
          int h1 = h0 + KH > H ? (int)H : h0 + KH, w1 = w0 + KW > W ? (int)W : w0 + KW;
          if (h0 < 0) h0 = 0;
          if (w0 < 0) w0 = 0;
          if (h1 <= h0 || w1 <= w0) continue;
          if (kind == P_AVG_GRAD) {
            float inv = 1.f / (float)((h1 - h0) * (w1 - w0));
            for (int h = h0; h < h1; h++)
              for (int w = w0; w < w1; w++) {
                float *d = out + ((n * H + h) * W + w) * C;
                for (long c = 0; c < C; c++) d[c] += g[c] * inv;
              }
          } else {
            /* The first maximum of every channel (a NaN wins only as the first value taken), over the
             * window in row-major order with the channels innermost (vectorised selects). */
            float best[C];
            int32_t at[C];
            for (long c = 0; c < C; c++) best[c] = -INFINITY, at[c] = -1;
            for (int h = h0; h < h1; h++)
              for (int w = w0; w < w1; w++) {
                const float *x = a + ((n * H + h) * W + w) * C;
                const int32_t pos = h * (int32_t)W + w;
                for (long c = 0; c < C; c++) {
                  const float v = x[c];
                  const int take = (v > best[c]) | ((at[c] < 0) & (v != v));
                  best[c] = take ? v : best[c];
                  at[c] = take ? pos : at[c];
                }
              }
            float *img = out + n * H * W * C;
            const int32_t first = h0 * (int32_t)W + w0;
            for (long c = 0; c < C; c++) img[(long)(at[c] < 0 ? first : at[c]) * C + c] += g[c];
          }
        }
    }
    return 0;
  }
#pragma omp parallel for schedule(static) if (N * OH * OW * C >= 16384)
  for (long r = 0; r < N * OH; r++) {
    long n = r / OH, oh = r % OH;
    for (long ow = 0; ow < OW; ow++) {
      float *o = out + (r * OW + ow) * C;
      int h0 = (int)oh * SH - PT, w0 = (int)ow * SW - PL;
      int h1 = h0 + KH > H ? (int)H : h0 + KH, w1 = w0 + KW > W ? (int)W : w0 + KW;
      if (h0 < 0) h0 = 0;
      if (w0 < 0) w0 = 0;
      for (long c = 0; c < C; c++) o[c] = kind == P_MAX ? -INFINITY : 0.f;
      for (int h = h0; h < h1; h++)
        for (int w = w0; w < w1; w++) {
          const float *x = a + ((n * H + h) * W + w) * C;
          if (kind == P_MAX)
            for (long c = 0; c < C; c++) o[c] = x[c] > o[c] ? x[c] : o[c];
          else
            for (long c = 0; c < C; c++) o[c] += x[c];
        }
      if (kind == P_AVG) {
        float inv = (h1 > h0 && w1 > w0) ? 1.f / (float)((h1 - h0) * (w1 - w0)) : 0.f;
        for (long c = 0; c < C; c++) o[c] *= inv;
      }
    }
  }
  return 0;
}
