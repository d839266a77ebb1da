/* Batched matrix product through oneDNN's sgemm (row-major), with tfjs BatchMatMul semantics:
 * out[b] = op(A[b]) x op(B[b]) where a batch of 1 broadcasts. */
#include <oneapi/dnnl/dnnl.h>
#include "yn.h"

/* p: batchA batchB M K N transA transB. A is [batchA, M, K] (or [.., K, M] transposed), B is
 * [batchB, K, N] (or [.., N, K]); out is [max(batchA, batchB), M, N]. */
YN_EXPORT int yn_matmul(const int32_t *p, const float *a, const float *b, float *out) {
  yn_threads();
  const int ba = p[0], bb = p[1], m = p[2], k = p[3], n = p[4], ta = p[5], tb = p[6];
  if ((ba != bb && ba != 1 && bb != 1) || m <= 0 || n <= 0 || k < 0) return YN_ERR_ARGS;
  const int batch = ba > bb ? ba : bb;
  const long sa = (long)m * k, sb = (long)k * n, so = (long)m * n;
  const long lda = ta ? m : k, ldb = tb ? k : n;
  int err = 0;
  if (k == 0) {
    for (long i = 0; i < (long)batch * so; i++) out[i] = 0.f;
    return 0;
  }
  /* Many small products: one thread each (sgemm inside a parallel region runs single-threaded);
   * a few large ones: sgemm itself uses every thread. */
  const int split = batch > 1 && (long)m * n * k < 64L * 64 * 64;
#pragma omp parallel for schedule(static) if (split) reduction(| : err)
  for (int i = 0; i < batch; i++) {
    const float *ai = a + (ba == 1 ? 0 : i * sa);
    const float *bi = b + (bb == 1 ? 0 : i * sb);
    dnnl_status_t s = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.f, ai, lda, bi, ldb, 0.f, out + i * so, n);
    if (s != dnnl_success) err |= 1;
  }
  return err ? YN_ERR_DNNL : 0;
}
