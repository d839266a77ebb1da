/* Elementwise float32 kernels: binary ops with broadcasting (given as per-operand strides over the
 * output shape, 0 on broadcast axes), unary ops and the gradients of the activations. Parallel over
 * both cores above a size threshold; inner loops vectorise. */
#include <math.h>
#include "yn.h"

enum { B_ADD, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN, B_SQDIFF, B_DIVNONAN };
enum { U_NEG, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_SIGMOID, U_RELU, U_ABS, U_SQUARE, U_RECIP, U_SILU,
       U_LEAKY, U_ELU, U_RELU6, U_TANH, U_SOFTPLUS, U_LOG1P, U_STEP };

#define PAR_MIN 32768L

#define ROW(OPEXPR)                                                         \
  if (sa == 1 && sb == 1)                                                   \
    for (long j = 0; j < n; j++) { float x = pa[j], y = pb[j]; po[j] = OPEXPR; } \
  else if (sa == 1)                                                         \
    for (long j = 0; j < n; j++) { float x = pa[j], y = pb[j * sb]; po[j] = OPEXPR; } \
  else if (sb == 1)                                                         \
    for (long j = 0; j < n; j++) { float x = pa[j * sa], y = pb[j]; po[j] = OPEXPR; } \
  else                                                                      \
    for (long j = 0; j < n; j++) { float x = pa[j * sa], y = pb[j * sb]; po[j] = OPEXPR; }

static void row(int op, long n, const float *pa, long sa, const float *pb, long sb, float *po) {
  switch (op) {
    case B_ADD: ROW(x + y) break;
    case B_SUB: ROW(x - y) break;
    case B_MUL: ROW(x * y) break;
    case B_DIV: ROW(x / y) break;
    case B_MAX: ROW(x > y || x != x ? x : y) break;
    case B_MIN: ROW(x < y || x != x ? x : y) break;
    case B_SQDIFF: ROW((x - y) * (x - y)) break;
    case B_DIVNONAN: ROW(y == 0.f ? 0.f : x / y) break;
  }
}

/* out[i] = a[i . as] op b[i . bs] over the output shape `shape` (rank <= 8, last axis innermost). */
YN_EXPORT int yn_binary(int op, int rank, const int32_t *shape, const int32_t *as, const int32_t *bs,
                        const float *a, const float *b, float *out) {
  yn_threads();
  if (rank < 1 || rank > 8 || op < B_ADD || op > B_DIVNONAN) return YN_ERR_ARGS;
  long rows = 1;
  for (int d = 0; d < rank - 1; d++) rows *= shape[d];
  const long n = shape[rank - 1];
  const long sa = as[rank - 1], sb = bs[rank - 1];
#pragma omp parallel for schedule(static) if (rows * n >= PAR_MIN && rows > 1)
  for (long r = 0; r < rows; r++) {
    long oa = 0, ob = 0, rem = r;
    for (int d = rank - 2; d >= 0; d--) {
      long i = rem % shape[d];
      rem /= shape[d];
      oa += i * as[d];
      ob += i * bs[d];
    }
    row(op, n, a + oa, sa, b + ob, sb, out + r * n);
  }
  return 0;
}

static inline float unary1(int op, float x, float alpha) {
  switch (op) {
    case U_NEG: return -x;
    case U_EXP: return yn_expf(x);
    case U_LOG: return logf(x);
    case U_SQRT: return sqrtf(x);
    case U_RSQRT: return 1.f / sqrtf(x);
    case U_SIGMOID: return yn_sigmoidf(x);
    case U_RELU: return x > 0.f ? x : (x != x ? x : 0.f);
    case U_ABS: return fabsf(x);
    case U_SQUARE: return x * x;
    case U_RECIP: return 1.f / x;
    case U_SILU: return x * yn_sigmoidf(x);
    case U_LEAKY: return x < 0.f ? alpha * x : x;
    case U_ELU: return x < 0.f ? yn_expf(x) - 1.f : x;
    case U_RELU6: return x < 0.f ? 0.f : (x > 6.f ? 6.f : x);
    case U_TANH: return tanhf(x);
    case U_SOFTPLUS: return x > 20.f ? x : log1pf(yn_expf(x));
    case U_LOG1P: return log1pf(x);
    case U_STEP: return x > 0.f ? 1.f : (x != x ? x : alpha);
  }
  return x;
}

#define UNARY_CASE(OP)                                                                   \
  case OP:                                                                               \
    _Pragma("omp parallel for simd schedule(static) if (n >= PAR_MIN)")                  \
    for (long i = 0; i < n; i++) out[i] = unary1(OP, x[i], alpha);                       \
    break;

/* out = f(x) elementwise over n values; alpha: leaky-relu slope, step's value at x <= 0. */
YN_EXPORT int yn_unary(int op, int32_t n, const float *x, float *out, float alpha) {
  yn_threads();
  switch (op) {
    UNARY_CASE(U_NEG) UNARY_CASE(U_EXP) UNARY_CASE(U_LOG) UNARY_CASE(U_SQRT) UNARY_CASE(U_RSQRT)
    UNARY_CASE(U_SIGMOID) UNARY_CASE(U_RELU) UNARY_CASE(U_ABS) UNARY_CASE(U_SQUARE)
    UNARY_CASE(U_RECIP) UNARY_CASE(U_SILU) UNARY_CASE(U_LEAKY) UNARY_CASE(U_ELU) UNARY_CASE(U_RELU6)
    UNARY_CASE(U_TANH) UNARY_CASE(U_SOFTPLUS) UNARY_CASE(U_LOG1P) UNARY_CASE(U_STEP)
    default: return YN_ERR_ARGS;
  }
  return 0;
}

/* Gradients of activations: out = dy * f'(.), where `v` is the forward output y for sigmoid and
 * the forward input x for silu, relu, leaky-relu, relu6 and elu. */
YN_EXPORT int yn_unary_grad(int op, int32_t n, const float *v, const float *dy, float *out, float alpha) {
  yn_threads();
  switch (op) {
    case U_SIGMOID:
#pragma omp parallel for simd schedule(static) if (n >= PAR_MIN)
      for (long i = 0; i < n; i++) out[i] = dy[i] * v[i] * (1.f - v[i]);
      break;
    case U_SILU:
#pragma omp parallel for simd schedule(static) if (n >= PAR_MIN)
      for (long i = 0; i < n; i++) {
        float s = yn_sigmoidf(v[i]);
        out[i] = dy[i] * s * (1.f + v[i] * (1.f - s));
      }
      break;
    case U_RELU:
#pragma omp parallel for simd schedule(static) if (n >= PAR_MIN)
      for (long i = 0; i < n; i++) out[i] = v[i] > 0.f ? dy[i] : 0.f;
      break;
    case U_LEAKY:
#pragma omp parallel for simd schedule(static) if (n >= PAR_MIN)
      for (long i = 0; i < n; i++) out[i] = v[i] > 0.f ? dy[i] : alpha * dy[i];
      break;
    case U_RELU6:
#pragma omp parallel for simd schedule(static) if (n >= PAR_MIN)
      for (long i = 0; i < n; i++) out[i] = v[i] > 0.f && v[i] <= 6.f ? dy[i] : 0.f;
      break;
    case U_ELU:
#pragma omp parallel for simd schedule(static) if (n >= PAR_MIN)
      for (long i = 0; i < n; i++) out[i] = v[i] < 0.f ? dy[i] * yn_expf(v[i]) : dy[i];
      break;
    default: return YN_ERR_ARGS;
  }
  return 0;
}
