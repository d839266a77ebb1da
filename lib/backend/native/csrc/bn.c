/* Fused per-channel normalisation + activation on NHWC data seen as [M, C] (M = N*H*W), forward and
 * backward, so that BatchNorm + SiLU costs two or three passes over memory instead of the ~30 of its
 * tfjs composite:
 *   affine:  y = act(x * scale[c] + shift[c])                      (eval-mode BatchNorm, bias + act)
 *   train:   y = act((x - mean[c]) * rstd[c] * gamma[c] + beta[c])  (batch statistics, biased var)
 * act: YN_LINEAR, YN_RELU or YN_SILU (each loop is compiled once per activation).
 *
 * Small models have few channels (C = 4..32 at 1/8 width), so a loop over the C values of one row is
 * too short to vectorise well. Every loop here runs over "super-rows" instead: r consecutive rows seen
 * as L = r*C lanes (L >= 64), lane l belonging to channel l % C, with the per-channel parameters
 * replicated across the lanes. Channel sums accumulate per lane in float over blocks of BLK super-rows,
 * then in double per thread, and are folded to channels at the end. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "yn.h"

#define INLINE static inline __attribute__((always_inline))

INLINE float act_f(const int act, float z) {
  return act == YN_SILU ? z * yn_sigmoidf(z) : act == YN_RELU ? (z < 0.f ? 0.f : z) : z;
}
/* d act / dz */
INLINE float act_d(const int act, float z) {
  if (act == YN_SILU) {
    float s = yn_sigmoidf(z);
    return s * (1.f + z * (1.f - s));
  }
  return act == YN_RELU ? (z > 0.f ? 1.f : 0.f) : 1.f;
}

/* Calls F(a, ...) with a compile-time activation. */
#define BY_ACT(act, F, ...)                          \
  switch (act) {                                     \
    case YN_SILU: F(YN_SILU, __VA_ARGS__); break;    \
    case YN_RELU: F(YN_RELU, __VA_ARGS__); break;    \
    default: F(YN_LINEAR, __VA_ARGS__); break;       \
  }

#define MIN_LANES 64
#define BLK 32
#define PAR(n) ((n) >= 32768)

/* Lanes per super-row for C channels. */
static long lanes(long C) { return C < 1 ? 1 : C >= MIN_LANES ? C : C * ((MIN_LANES + C - 1) / C); }

/* out[l] = p[l % C] for l < L. */
static void replicate(const float *p, long C, long L, float *out) {
  for (long l = 0; l < L; l++) out[l] = p[l % C];
}

/* Scratch of one call: nt threads x (2L double + 2L float) partials, 2C double sums, `nrep` replicated
 * parameter arrays of L floats. */
typedef struct {
  double *dpart, *s0, *s1;
  float *fpart, *rep;
  long L;
  int nt;
} scratch_t;

static int scratch_new(scratch_t *s, long C, int nrep) {
  s->L = lanes(C);
  s->nt = omp_get_max_threads();
  s->dpart = malloc(sizeof(double) * ((size_t)s->nt * 2 * s->L + 2 * C));
  s->fpart = malloc(sizeof(float) * ((size_t)s->nt * 2 * s->L + (size_t)nrep * s->L));
  if (!s->dpart || !s->fpart) { free(s->dpart); free(s->fpart); return YN_ERR_ALLOC; }
  s->s0 = s->dpart + (size_t)s->nt * 2 * s->L;
  s->s1 = s->s0 + C;
  s->rep = s->fpart + (size_t)s->nt * 2 * s->L;
  return 0;
}
static void scratch_free(scratch_t *s) { free(s->dpart); free(s->fpart); }

/* Per-channel sums S->s0, S->s1 of two per-element quantities over all M*C elements. The body (last argument) runs for one
 * super-row starting at element `off` with `n` lanes (n < L only in the last, partial one) and adds
 * into the float lane accumulators a0[l], a1[l]. */
#define LANE_SUMS(S, TOTAL, C, ...)                                                      \
  do {                                                                                   \
    const long L_ = (S)->L, total_ = (TOTAL), nsr_ = (total_ + L_ - 1) / L_;            \
    const long nblk_ = (nsr_ + BLK - 1) / BLK;                                           \
    memset((S)->dpart, 0, sizeof(double) * (size_t)(S)->nt * 2 * L_);                   \
    _Pragma("omp parallel if (PAR(total_))")                                             \
    {                                                                                    \
      const int t_ = omp_get_thread_num();                                               \
      double *d0_ = (S)->dpart + (size_t)t_ * 2 * L_, *d1_ = d0_ + L_;                  \
      float *restrict a0 = (S)->fpart + (size_t)t_ * 2 * L_, *restrict a1 = a0 + L_;    \
      (void)a1;                                                                          \
      _Pragma("omp for schedule(static)")                                                \
      for (long b_ = 0; b_ < nblk_; b_++) {                                              \
        memset(a0, 0, sizeof(float) * 2 * L_);                                           \
        const long end_ = (b_ + 1) * BLK < nsr_ ? (b_ + 1) * BLK : nsr_;                 \
        for (long s_ = b_ * BLK; s_ < end_; s_++) {                                      \
          const long off = s_ * L_, n = total_ - off < L_ ? total_ - off : L_;           \
          __VA_ARGS__                                                                    \
        }                                                                                \
        for (long l = 0; l < L_; l++) { d0_[l] += a0[l]; d1_[l] += a1[l]; }              \
      }                                                                                  \
    }                                                                                    \
    for (long c = 0; c < (C); c++) (S)->s0[c] = (S)->s1[c] = 0;                          \
    for (int t = 0; t < (S)->nt; t++)                                                    \
      for (long l = 0; l < L_; l++) {                                                    \
        (S)->s0[l % (C)] += (S)->dpart[(size_t)t * 2 * L_ + l];                          \
        (S)->s1[l % (C)] += (S)->dpart[(size_t)t * 2 * L_ + L_ + l];                     \
      }                                                                                  \
  } while (0)

/* y = act(x * sc + sh) with lane-replicated sc, sh. */
#define AFFINE_ACT(A, total, L, x, sc, sh, y)                                            \
  do {                                                                                   \
    const long nsr_ = ((total) + (L) - 1) / (L);                                         \
    _Pragma("omp parallel for schedule(static) if (PAR(total))")                         \
    for (long s_ = 0; s_ < nsr_; s_++) {                                                 \
      const long off = s_ * (L), n = (total) - off < (L) ? (total) - off : (L);          \
      const float *restrict xr = (x) + off;                                              \
      float *restrict yr = (y) + off;                                                    \
      for (long l = 0; l < n; l++) yr[l] = act_f(A, xr[l] * (sc)[l] + (sh)[l]);          \
    }                                                                                    \
  } while (0)

YN_EXPORT int yn_affine_act(int act, int32_t M, int32_t C, const float *x, const float *scale, const float *shift,
                            float *y) {
  yn_threads();
  const long L = lanes(C), total = (long)M * C;
  float *rep = malloc(sizeof(float) * 2 * L);
  if (!rep) return YN_ERR_ALLOC;
  float *sc = rep, *sh = rep + L;
  replicate(scale, C, L, sc);
  replicate(shift, C, L, sh);
  BY_ACT(act, AFFINE_ACT, total, L, x, sc, sh, y);
  free(rep);
  return 0;
}

/* dx = dz * scale, dscale = sum dz * x, dshift = sum dz, with dz = dy * act'(x * scale + shift) (two loops
 * per super-row, as in BN_GRAD_SUMS below). */
#define AFFINE_GRAD(A, S, total, C, x, dy, dx, sc, sh)                                  \
  LANE_SUMS(S, total, C, {                                                               \
    const float *restrict xr = (x) + off, *restrict dr = (dy) + off;                     \
    const float *restrict sq = (sc), *restrict hq = (sh);                                \
    float *restrict gr = (dx) + off;                                                     \
    for (long l = 0; l < n; l++) gr[l] = dr[l] * act_d(A, xr[l] * sq[l] + hq[l]);        \
    for (long l = 0; l < n; l++) {                                                       \
      a0[l] += gr[l] * xr[l];                                                            \
      a1[l] += gr[l];                                                                    \
      gr[l] *= sq[l];                                                                    \
    }                                                                                    \
  })

YN_EXPORT int yn_affine_act_grad(int act, int32_t M, int32_t C, const float *x, const float *scale,
                                 const float *shift, const float *dy, float *dx, float *dscale, float *dshift) {
  yn_threads();
  scratch_t s;
  if (scratch_new(&s, C, 2)) return YN_ERR_ALLOC;
  float *sc = s.rep, *sh = s.rep + s.L;
  replicate(scale, C, s.L, sc);
  replicate(shift, C, s.L, sh);
  BY_ACT(act, AFFINE_GRAD, &s, (long)M * C, C, x, dy, dx, sc, sh);
  for (long c = 0; c < C; c++) { dscale[c] = (float)s.s0[c]; dshift[c] = (float)s.s1[c]; }
  scratch_free(&s);
  return 0;
}

/* Training forward: mean and biased variance per channel (written out; the variance as a second pass
 * over squared deviations: no cancellation), then the normalised, scaled, shifted, activated output. */
YN_EXPORT int yn_bn_train(int act, int32_t M, int32_t C, float eps, const float *x, const float *gamma,
                          const float *beta, float *y, float *mean, float *var) {
  yn_threads();
  scratch_t s;
  if (scratch_new(&s, C, 3)) return YN_ERR_ALLOC;
  const long total = (long)M * C, L = s.L;
  float *mr = s.rep, *sc = s.rep + L, *sh = s.rep + 2 * L;
  LANE_SUMS(&s, total, C, {
    const float *restrict xr = x + off;
    for (long l = 0; l < n; l++) a0[l] += xr[l];
  });
  for (long c = 0; c < C; c++) mean[c] = (float)(s.s0[c] / M);
  replicate(mean, C, L, mr);
  LANE_SUMS(&s, total, C, {
    const float *restrict xr = x + off;
    for (long l = 0; l < n; l++) { const float d = xr[l] - mr[l]; a0[l] += d * d; }
  });
  float *scc = malloc(sizeof(float) * 2 * C);
  if (!scc) { scratch_free(&s); return YN_ERR_ALLOC; }
  for (long c = 0; c < C; c++) {
    var[c] = (float)(s.s0[c] / M);
    scc[c] = gamma[c] / sqrtf(var[c] + eps);
    scc[C + c] = beta[c] - mean[c] * scc[c];
  }
  replicate(scc, C, L, sc);
  replicate(scc + C, C, L, sh);
  free(scc);
  BY_ACT(act, AFFINE_ACT, total, L, x, sc, sh, y);
  scratch_free(&s);
  return 0;
}

/* Training backward, pass 1: dz = dy * act'(xhat * gamma + beta) (kept in dx), sums of dz and dz * xhat.
 * Two loops per super-row: an elementwise one (vectorises with the activation's derivative inlined)
 * and the accumulation (gcc leaves a fused loop with a SiLU derivative scalar). */
#define BN_GRAD_SUMS(A, S, total, C, x, dy, dx, mr, rr, gr_, br)                        \
  LANE_SUMS(S, total, C, {                                                               \
    const float *restrict xr = (x) + off, *restrict dr = (dy) + off;                     \
    const float *restrict mq = (mr), *restrict rq = (rr), *restrict gq = (gr_), *restrict bq = (br); \
    float *restrict gr = (dx) + off;                                                     \
    for (long l = 0; l < n; l++)                                                         \
      gr[l] = dr[l] * act_d(A, (xr[l] - mq[l]) * rq[l] * gq[l] + bq[l]);                 \
    for (long l = 0; l < n; l++) {                                                       \
      a0[l] += gr[l];                                                                    \
      a1[l] += gr[l] * ((xr[l] - mq[l]) * rq[l]);                                        \
    }                                                                                    \
  })

/* Training backward (BatchNorm with batch statistics, gradient through mean and variance too):
 * xhat = (x - mean) * rstd, dz = dy * act'(xhat * gamma + beta), dbeta = sum dz,
 * dgamma = sum dz * xhat, dx = gamma * rstd * (dz - dbeta / M - xhat * dgamma / M). */
YN_EXPORT int yn_bn_train_grad(int act, int32_t M, int32_t C, float eps, const float *x, const float *gamma,
                               const float *beta, const float *mean, const float *var, const float *dy, float *dx,
                               float *dgamma, float *dbeta) {
  yn_threads();
  scratch_t s;
  if (scratch_new(&s, C, 7)) return YN_ERR_ALLOC;
  const long total = (long)M * C, L = s.L;
  float *mr = s.rep, *rr = mr + L, *gm = rr + L, *bt = gm + L, *k1 = bt + L, *k2 = k1 + L, *k3 = k2 + L;
  float *pc = malloc(sizeof(float) * 4 * C);
  if (!pc) { scratch_free(&s); return YN_ERR_ALLOC; }
  for (long c = 0; c < C; c++) pc[c] = 1.f / sqrtf(var[c] + eps);
  replicate(mean, C, L, mr);
  replicate(pc, C, L, rr);
  replicate(gamma, C, L, gm);
  replicate(beta, C, L, bt);
  BY_ACT(act, BN_GRAD_SUMS, &s, total, C, x, dy, dx, mr, rr, gm, bt);
  for (long c = 0; c < C; c++) {
    dbeta[c] = (float)s.s0[c];
    dgamma[c] = (float)s.s1[c];
    pc[C + c] = gamma[c] * pc[c];
    pc[2 * C + c] = (float)(s.s0[c] / M);
    pc[3 * C + c] = (float)(s.s1[c] / M);
  }
  replicate(pc + C, C, L, k1);
  replicate(pc + 2 * C, C, L, k2);
  replicate(pc + 3 * C, C, L, k3);
  free(pc);
  const long nsr = (total + L - 1) / L;
#pragma omp parallel for schedule(static) if (PAR(total))
  for (long sr = 0; sr < nsr; sr++) {
    const long off = sr * L, n = total - off < L ? total - off : L;
    const float *restrict xr = x + off;
    float *restrict gr = dx + off;
    for (long l = 0; l < n; l++) {
      const float xh = (xr[l] - mr[l]) * rr[l];
      gr[l] = k1[l] * (gr[l] - k2[l] - xh * k3[l]);
    }
  }
  scratch_free(&s);
  return 0;
}
