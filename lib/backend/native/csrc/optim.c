/* Optimizer updates over many tensors in one call (lib/optim via the backend port): Nesterov SGD with
 * weight decay and the clip coefficient, and a x + b y per tensor (ModelEMA, BatchNorm running
 * statistics). Tensors come as tables of addresses and sizes. Every operation rounds to float32 in the
 * order of the array code it replaces (lib/optim/sgd.ts, ema.ts, bn_update.ts): no fused multiply-add,
 * so the results are bit-identical. */
#pragma GCC optimize("fp-contract=off")
#include "yn.h"

#define PTR(t, a) ((t *)(uintptr_t)(a))

/* SGD of tensor i: d = g scale (+ p wd); with momentum mu: buf = b mu + d (b absent: buf = d), and
 * d = d + buf mu (Nesterov) or buf; p' = p - d lr. hyper holds lr, mu, wd per tensor. po and bo are
 * outputs (bo[i] unused when mu is 0); b[i] may be 0 (no buffer yet). */
YN_EXPORT int yn_sgd_multi(int32_t n, const uint64_t *p, const uint64_t *g, const uint64_t *b, const uint64_t *po,
                           const uint64_t *bo, const int32_t *sizes, const float *hyper, float scale, int32_t nesterov) {
  if (n < 0) return YN_ERR_ARGS;
  for (int32_t i = 0; i < n; i++) {
    const float *pi = PTR(const float, p[i]), *gi = PTR(const float, g[i]), *bi = PTR(const float, b[i]);
    float *poi = PTR(float, po[i]), *boi = PTR(float, bo[i]);
    const float lr = hyper[3 * i], mu = hyper[3 * i + 1], wd = hyper[3 * i + 2];
    const int32_t size = sizes[i];
    if (size == 0) continue;
    if (!pi || !gi || !poi || (mu != 0.f && !boi)) return YN_ERR_ARGS;
    for (int32_t j = 0; j < size; j++) {
      float d = scale == 1.f ? gi[j] : gi[j] * scale;
      if (wd != 0.f) d = d + pi[j] * wd;
      if (mu != 0.f) {
        const float buf = bi ? bi[j] * mu + d : d;
        boi[j] = buf;
        d = nesterov ? d + buf * mu : buf;
      }
      poi[j] = pi[j] - d * lr;
    }
  }
  return 0;
}

/* out_i = a_i x_i + b_i y_i for every tensor i (ab holds a, b per tensor). */
YN_EXPORT int yn_axpby_multi(int32_t n, const uint64_t *x, const uint64_t *y, const uint64_t *out,
                             const int32_t *sizes, const float *ab) {
  if (n < 0) return YN_ERR_ARGS;
  for (int32_t i = 0; i < n; i++) {
    const float *xi = PTR(const float, x[i]), *yi = PTR(const float, y[i]);
    float *oi = PTR(float, out[i]);
    const float a = ab[2 * i], bb = ab[2 * i + 1];
    if (sizes[i] == 0) continue;
    if (!xi || !yi || !oi) return YN_ERR_ARGS;
    for (int32_t j = 0; j < sizes[i]; j++) oi[j] = xi[j] * a + yi[j] * bb;
  }
  return 0;
}
