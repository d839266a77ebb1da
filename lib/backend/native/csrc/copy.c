/* Strided block copy: dst[doff + i . ds] = src[soff + i . ss] over a block shape, for 1-, 2-, 4- or
 * 8-byte elements. Slice (strided source), concat and pad (strided destination) and transpose
 * (permuted source strides) are all this one loop. */
#include <string.h>
#include "yn.h"

#define COPY_ROW(T)                                                                    \
  {                                                                                    \
    const T *s = (const T *)src + so;                                                  \
    T *d = (T *)dst + dof;                                                             \
    if (sn == 1 && dn == 1) memcpy(d, s, n * sizeof(T));                               \
    else if (dn == 1) for (long j = 0; j < n; j++) d[j] = s[j * sn];                   \
    else for (long j = 0; j < n; j++) d[j * dn] = s[j * sn];                           \
  }

/* p: esize rank shape[rank] sstride[rank] dstride[rank] soff doff (strides and offsets in elements). */
YN_EXPORT int yn_copy_block(int unused, const int32_t *p, const void *src, void *dst) {
  yn_threads();
  (void)unused;
  const int es = p[0], rank_in = p[1];
  if (rank_in < 1 || rank_in > 8 || (es != 1 && es != 2 && es != 4 && es != 8)) return YN_ERR_ARGS;
  const long soff = p[2 + 3 * rank_in], doff = p[3 + 3 * rank_in];
  /* Merge each axis into the next where both strides make them one run (and drop axes of length 1),
   * so that e.g. a channel slice of NHWC is [N*H*W, C]: one stride per row, no index arithmetic. */
  long shape[8], ss[8], ds[8];
  int rank = 0;
  for (int d = 0; d < rank_in; d++) {
    const long n = p[2 + d], a = p[2 + rank_in + d], b = p[2 + 2 * rank_in + d];
    if (n == 0) return 0;
    if (n == 1) continue;
    if (rank > 0 && ss[rank - 1] == a * n && ds[rank - 1] == b * n) {
      shape[rank - 1] *= n;
      ss[rank - 1] = a;
      ds[rank - 1] = b;
    } else {
      shape[rank] = n, ss[rank] = a, ds[rank] = b;
      rank++;
    }
  }
  if (rank == 0) shape[0] = 1, ss[0] = ds[0] = 1, rank = 1;
  long rows = 1;
  for (int d = 0; d < rank - 1; d++) rows *= shape[d];
  const long n = shape[rank - 1], sn = ss[rank - 1], dn = ds[rank - 1];
#pragma omp parallel for schedule(static) if (rows * n >= 65536 && rows > 1)
  for (long r = 0; r < rows; r++) {
    long so = soff, dof = doff;
    if (rank == 2) {
      so += r * ss[0];
      dof += r * ds[0];
    } else {
      long rem = r;
      for (int d = rank - 2; d >= 0; d--) {
        long i = rem % shape[d];
        rem /= shape[d];
        so += i * ss[d];
        dof += i * ds[d];
      }
    }
    switch (es) {
      case 1: COPY_ROW(uint8_t) break;
      case 2: COPY_ROW(uint16_t) break;
      case 4: COPY_ROW(uint32_t) break;
      case 8: COPY_ROW(uint64_t) break;
    }
  }
  return 0;
}
