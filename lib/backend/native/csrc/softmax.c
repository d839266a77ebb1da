/* Softmax over the last axis of a [rows, n] float32 array: max-shifted exp, sum, scale. */
#include "yn.h"

YN_EXPORT int yn_softmax(int32_t rows, int32_t n, const float *x, float *y) {
  yn_threads();
  if (rows < 0 || n < 1) return YN_ERR_ARGS;
#pragma omp parallel for schedule(static) if ((long)rows * n >= 65536 && rows > 1)
  for (long r = 0; r < rows; r++) {
    const float *xr = x + r * n;
    float *yr = y + r * n;
    float m = xr[0];
    for (long j = 1; j < n; j++) m = xr[j] > m ? xr[j] : m;
    float s = 0.f;
    for (long j = 0; j < n; j++) {
      yr[j] = yn_expf(xr[j] - m);
      s += yr[j];
    }
    const float inv = 1.f / s;
    for (long j = 0; j < n; j++) yr[j] *= inv;
  }
  return 0;
}
