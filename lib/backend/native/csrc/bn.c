/* Fused per-channel normalisation + activation on NHWC data seen as [M, C] (M = N*H*W), forward and
 * backward, so that BatchNorm + SiLU costs two or three passes over memory instead of the ~30 of its
 * tfjs composite:
 *   affine:  y = act(x * scale[c] + shift[c])                      (eval-mode BatchNorm, bias + act)
 *   train:   y = act((x - mean[c]) * rstd[c] * gamma[c] + beta[c])  (batch statistics, biased var)
 * act: YN_LINEAR, YN_RELU or YN_SILU. Channel sums accumulate in double, per thread, then combine. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "yn.h"

static inline float act_f(int act, float z) {
  return act == YN_SILU ? z * yn_sigmoidf(z) : act == YN_RELU ? (z < 0.f ? 0.f : z) : z;
}
/* d act / dz */
static inline float act_d(int act, float z) {
  if (act == YN_SILU) {
    float s = yn_sigmoidf(z);
    return s * (1.f + z * (1.f - s));
  }
  return act == YN_RELU ? (z > 0.f ? 1.f : 0.f) : 1.f;
}

#define PAR(M, C) ((long)(M) * (C) >= 32768)

/* Per-channel sums over rows of up to two row-wise quantities, in parallel: s0[c] = sum f0, s1[c] = sum f1.
 * The per-thread partials live in one buffer of nt * 2C doubles. */
#define CHANNEL_SUMS(M, C, S0, S1, ...)                                         \
  do {                                                                          \
    const int nt_ = omp_get_max_threads();                                      \
    double *part_ = part;                                                       \
    memset(part_, 0, sizeof(double) * nt_ * 2 * (C));                           \
    _Pragma("omp parallel if (PAR(M, C))")                                      \
    {                                                                           \
      double *p0 = part_ + (size_t)omp_get_thread_num() * 2 * (C), *p1 = p0 + (C); (void)p1; \
      _Pragma("omp for schedule(static)")                                       \
      for (long m = 0; m < (M); m++) { __VA_ARGS__ }                                 \
    }                                                                           \
    for (long c = 0; c < (C); c++) {                                            \
      double a = 0, b = 0;                                                      \
      for (int t = 0; t < nt_; t++) { a += part_[(size_t)t * 2 * (C) + c]; b += part_[(size_t)t * 2 * (C) + (C) + c]; } \
      S0[c] = a; S1[c] = b;                                                     \
    }                                                                           \
  } while (0)

/* Scratch of a channel-sum function: the two sums and every thread's partials. */
static double *scratch(int32_t C) { return malloc(sizeof(double) * (size_t)(2 + 2 * omp_get_max_threads()) * C); }

YN_EXPORT int yn_affine_act(int act, int32_t M, int32_t C, const float *x, const float *scale, const float *shift,
                            float *y) {
  yn_threads();
#pragma omp parallel for schedule(static) if (PAR(M, C))
  for (long m = 0; m < M; m++) {
    const float *xr = x + m * C;
    float *yr = y + m * C;
    for (long c = 0; c < C; c++) yr[c] = act_f(act, xr[c] * scale[c] + shift[c]);
  }
  return 0;
}

/* dx = dz * scale, dscale = sum dz * x, dshift = sum dz, with dz = dy * act'(x * scale + shift). */
YN_EXPORT int yn_affine_act_grad(int act, int32_t M, int32_t C, const float *x, const float *scale,
                                 const float *shift, const float *dy, float *dx, float *dscale, float *dshift) {
  yn_threads();
  double *s0 = scratch(C), *s1 = s0 + C, *part = s0 + 2 * C;
  if (!s0) return YN_ERR_ALLOC;
  CHANNEL_SUMS(M, C, s0, s1, {
    const float *xr = x + m * C, *dr = dy + m * C;
    float *gr = dx + m * C;
    for (long c = 0; c < C; c++) {
      float dz = dr[c] * act_d(act, xr[c] * scale[c] + shift[c]);
      gr[c] = dz * scale[c];
      p0[c] += dz * xr[c];
      p1[c] += dz;
    }
  });
  for (long c = 0; c < C; c++) { dscale[c] = (float)s0[c]; dshift[c] = (float)s1[c]; }
  free(s0);
  return 0;
}

/* Training forward: mean and biased variance per channel (written out), then the normalised,
 * scaled, shifted and activated output. */
YN_EXPORT int yn_bn_train(int act, int32_t M, int32_t C, float eps, const float *x, const float *gamma,
                          const float *beta, float *y, float *mean, float *var) {
  yn_threads();
  double *s0 = scratch(C), *s1 = s0 + C, *part = s0 + 2 * C;
  float *sc = malloc(sizeof(float) * 2 * C), *sh = sc ? sc + C : NULL;
  if (!s0 || !sc) { free(s0); free(sc); return YN_ERR_ALLOC; }
  CHANNEL_SUMS(M, C, s0, s1, {
    const float *xr = x + m * C;
    for (long c = 0; c < C; c++) p0[c] += xr[c];
  });
  for (long c = 0; c < C; c++) mean[c] = (float)(s0[c] / M);
  /* Second pass for the variance (sum of squared deviations: no cancellation). */
  CHANNEL_SUMS(M, C, s0, s1, {
    const float *xr = x + m * C;
    for (long c = 0; c < C; c++) { float d = xr[c] - mean[c]; p0[c] += d * d; }
  });
  for (long c = 0; c < C; c++) {
    var[c] = (float)(s0[c] / M);
    sc[c] = gamma[c] / sqrtf(var[c] + eps);
    sh[c] = beta[c] - mean[c] * sc[c];
  }
  free(s0);
  int st = yn_affine_act(act, M, C, x, sc, sh, y);
  free(sc);
  return st;
}

/* Training backward (BatchNorm with batch statistics, gradient through mean and variance too):
 * xhat = (x - mean) * rstd, dz = dy * act'(xhat * gamma + beta), dbeta = sum dz,
 * dgamma = sum dz * xhat, dx = gamma * rstd * (dz - dbeta / M - xhat * dgamma / M). */
YN_EXPORT int yn_bn_train_grad(int act, int32_t M, int32_t C, float eps, const float *x, const float *gamma,
                               const float *beta, const float *mean, const float *var, const float *dy, float *dx,
                               float *dgamma, float *dbeta) {
  yn_threads();
  double *s0 = scratch(C), *s1 = s0 + C, *part = s0 + 2 * C;
  float *rs = malloc(sizeof(float) * 4 * C);
  if (!s0 || !rs) { free(s0); free(rs); return YN_ERR_ALLOC; }
  float *k1 = rs + C, *k2 = rs + 2 * C, *k3 = rs + 3 * C;
  for (long c = 0; c < C; c++) rs[c] = 1.f / sqrtf(var[c] + eps);
  /* First pass: dz (kept in dx, so the activation's derivative is computed once) and its sums. */
  CHANNEL_SUMS(M, C, s0, s1, {
    const float *xr = x + m * C, *dr = dy + m * C;
    float *gr = dx + m * C;
    for (long c = 0; c < C; c++) {
      float xh = (xr[c] - mean[c]) * rs[c];
      float dz = dr[c] * act_d(act, xh * gamma[c] + beta[c]);
      gr[c] = dz;
      p0[c] += dz;
      p1[c] += dz * xh;
    }
  });
  for (long c = 0; c < C; c++) {
    dbeta[c] = (float)s0[c];
    dgamma[c] = (float)s1[c];
    k1[c] = gamma[c] * rs[c];
    k2[c] = (float)(s0[c] / M);
    k3[c] = (float)(s1[c] / M);
  }
  free(s0);
#pragma omp parallel for schedule(static) if (PAR(M, C))
  for (long m = 0; m < M; m++) {
    const float *xr = x + m * C;
    float *gr = dx + m * C;
    for (long c = 0; c < C; c++) {
      float xh = (xr[c] - mean[c]) * rs[c];
      gr[c] = k1[c] * (gr[c] - k2[c] - xh * k3[c]);
    }
  }
  free(rs);
  return 0;
}
