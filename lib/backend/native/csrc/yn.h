/* Shared declarations of the yolov9-ts native shim (libyolo_native.so).
 *
 * Every entry point works on caller-owned float32 buffers (the tfjs tensors' TypedArrays, passed by
 * Deno FFI without copies) and returns 0 on success or a negative error code. Shapes and options come
 * as small int32 arrays so that the FFI signatures stay short. */
#ifndef YN_H
#define YN_H
#include <stdint.h>
#include <stddef.h>

#define YN_EXPORT __attribute__((visibility("default")))

/* Error codes (negative). oneDNN failures are reported as -(100 + dnnl_status). */
#define YN_ERR_ARGS (-1)
#define YN_ERR_ALLOC (-2)
#define YN_ERR_DNNL (-100)

/* Activations of the fused convolution (and of yn_unary where they apply). */
enum yn_act { YN_LINEAR = 0, YN_RELU = 1, YN_RELU6 = 2, YN_ELU = 3, YN_LEAKY = 4, YN_SIGMOID = 5, YN_SILU = 6 };

/* Threads of every parallel region (OpenMP) and of oneDNN, optionally adaptive (see common.c).
 * Returns the number in effect. */
YN_EXPORT int yn_set_threads(int n, int adaptive);

/* The thread count for the next parallel work (re-probed in adaptive mode); every entry point that
 * may run in parallel calls it first. */
int yn_threads(void);

/* Vectorisable exp for float (max rel. error ~2 ulp on [-87, 88]; inputs are clamped there). Pure
 * arithmetic without branches so that loops calling it vectorise. */
static inline float yn_expf(float x) {
  x = x > 88.3f ? 88.3f : x;
  x = x < -87.3f ? -87.3f : x;
  /* round to nearest with the 1.5 * 2^23 trick (vectorises, unlike floorf without -ffast-math) */
  const float n = (x * 1.44269504088896341f + 12582912.f) - 12582912.f;
  float r = x - n * 0.693145751953125f; /* ln2 split in two parts for accuracy */
  r = r - n * 1.428606765330187045e-06f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  __builtin_memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

static inline float yn_sigmoidf(float x) { return 1.0f / (1.0f + yn_expf(-x)); }

#endif
