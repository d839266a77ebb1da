/* Reductions over the middle axis of a [outer, red, inner] view (any contiguous block of axes):
 * sum, mean, max, min, prod. Sums accumulate in double. Parallel over outer or inner slices, or over
 * row blocks with per-thread partials when outer and inner are too small (e.g. BatchNorm moments:
 * [1, N*H*W, C]). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "yn.h"

enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD };

/* NaN-propagating max / min of two values (a NaN anywhere gives NaN). */
static inline float pick(int op, float v, float m) {
  const int take = (op == R_MAX ? v > m : v < m) | (v != v); /* no branch: data-dependent jumps mispredict */
  return take ? v : m;
}

static void reduce_slice(int op, long red, long inner, const float *x, float *out, double *acc) {
  if (op == R_SUM || op == R_MEAN || op == R_PROD) {
    for (long j = 0; j < inner; j++) acc[j] = op == R_PROD ? 1.0 : 0.0;
    for (long r = 0; r < red; r++) {
      const float *row = x + r * inner;
      if (op == R_PROD)
        for (long j = 0; j < inner; j++) acc[j] *= row[j];
      else
        for (long j = 0; j < inner; j++) acc[j] += row[j];
    }
    double scale = op == R_MEAN ? 1.0 / (double)red : 1.0;
    for (long j = 0; j < inner; j++) out[j] = (float)(acc[j] * scale);
  } else {
    for (long j = 0; j < inner; j++) out[j] = x[j];
    for (long r = 1; r < red; r++) {
      const float *row = x + r * inner;
      for (long j = 0; j < inner; j++) out[j] = pick(op, row[j], out[j]);
    }
  }
}

/* Whole rows (inner == 1): a loop per output value, over 4 independent accumulators (a single
 * chain of dependent adds runs at one add per 4 cycles). */
static float reduce_row(int op, long red, const float *x) {
  long r = 0;
  if (op == R_MAX || op == R_MIN) {
    /* `v > m ? v : m` is one maxss (minss for <); a NaN is flagged apart and returned at the end (a
     * select with the NaN test in it compiles to a branch, which random data mispredicts). */
    const float s = op == R_MAX ? 1.f : -1.f; /* min as the max of negated values */
    float m0 = s * x[0], m1 = m0, m2 = m0, m3 = m0;
    int nan = 0;
    for (; r + 4 <= red; r += 4) {
      const float a = s * x[r], b = s * x[r + 1], c = s * x[r + 2], d = s * x[r + 3];
      m0 = a > m0 ? a : m0;
      m1 = b > m1 ? b : m1;
      m2 = c > m2 ? c : m2;
      m3 = d > m3 ? d : m3;
      nan |= (a != a) | (b != b) | (c != c) | (d != d);
    }
    for (; r < red; r++) {
      const float a = s * x[r];
      m0 = a > m0 ? a : m0;
      nan |= a != a;
    }
    if (nan) return NAN;
    m0 = m1 > m0 ? m1 : m0;
    m2 = m3 > m2 ? m3 : m2;
    return s * (m2 > m0 ? m2 : m0);
  }
  if (op == R_PROD) {
    double p = 1.0;
    for (; r < red; r++) p *= x[r];
    return (float)p;
  }
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  for (; r + 4 <= red; r += 4) {
    s0 += x[r];
    s1 += x[r + 1];
    s2 += x[r + 2];
    s3 += x[r + 3];
  }
  for (; r < red; r++) s0 += x[r];
  const double s = (s0 + s1) + (s2 + s3);
  return (float)(op == R_MEAN ? s / (double)red : s);
}

YN_EXPORT int yn_reduce(int op, int32_t outer, int32_t red, int32_t inner, const float *x, float *out) {
  yn_threads();
  if (op < R_SUM || op > R_PROD || outer < 1 || inner < 1 || red < 1) return YN_ERR_ARGS;
  const long total = (long)outer * red * inner;
  const int par = total >= 32768;
  if (inner == 1) {
#pragma omp parallel for schedule(static) if (par && outer > 1)
    for (long o = 0; o < outer; o++) out[o] = reduce_row(op, red, x + o * red);
    return 0;
  }
  if (outer >= 2 * omp_get_max_threads() || !par || red < 64) {
    int err = 0;
#pragma omp parallel if (par) reduction(| : err)
    {
      double *acc = malloc(sizeof(double) * inner);
      if (!acc) err = 1;
#pragma omp for schedule(static)
      for (long o = 0; o < outer; o++)
        if (acc) reduce_slice(op, red, inner, x + o * red * inner, out + o * inner, acc);
      free(acc);
    }
    return err ? YN_ERR_ALLOC : 0;
  }
  /* Few slices with many rows: split the rows between threads, then combine the partials. */
  const int nt = omp_get_max_threads();
  float *part = malloc(sizeof(float) * nt * inner);
  double *acc = malloc(sizeof(double) * nt * inner);
  if (!part || !acc) { free(part); free(acc); return YN_ERR_ALLOC; }
  const int sub = op == R_MEAN ? R_SUM : op;
  for (long o = 0; o < outer; o++) {
    const float *xo = x + o * red * inner;
    for (long i = 0; i < nt * inner; i++) { /* identities, for threads that get no rows */
      acc[i] = sub == R_PROD ? 1.0 : 0.0;
      part[i] = sub == R_MAX ? -INFINITY : INFINITY;
    }
#pragma omp parallel num_threads(nt)
    {
      int t = omp_get_thread_num(), k = omp_get_num_threads();
      long r0 = (long)red * t / k, r1 = (long)red * (t + 1) / k;
      if (r1 > r0) reduce_slice(sub, r1 - r0, inner, xo + r0 * inner, part + t * inner, acc + t * inner);
    }
    float *oo = out + o * inner;
    for (long j = 0; j < inner; j++) {
      if (sub == R_SUM || sub == R_PROD) {
        double s = sub == R_PROD ? 1.0 : 0.0; /* combine the exact double partials */
        for (int t = 0; t < nt; t++) s = sub == R_PROD ? s * acc[t * inner + j] : s + acc[t * inner + j];
        oo[j] = (float)(op == R_MEAN ? s / (double)red : s);
      } else {
        float m = part[j];
        for (int t = 1; t < nt; t++) m = pick(sub, part[t * inner + j], m);
        oo[j] = m;
      }
    }
  }
  free(part);
  free(acc);
  return 0;
}
