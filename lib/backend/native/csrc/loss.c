/* Decoding of the YOLOv9 head for the loss on plain arrays (lib/loss/plain_loss.ts, `decode`): per
 * anchor the class probabilities (sigmoid) and softplus of every class logit, and where the assigner
 * reads the box (`need`) the DFL bin softmax, its expectation (the side distances) and the box. The
 * same double-precision arithmetic in the same order as the TypeScript loop it replaces (libm's exp
 * and log1p), stored as float32 or double as there. */
#include <math.h>
#include "yn.h"

#define PTR(t, a) ((t *)(uintptr_t)(a))

/* p: B (images), A (anchors an image), NC, REG (bins a side). levels[l]: NHWC values of level l;
 * level[a]: the level of anchor a; offset[i]: where anchor i (= image * A + a) starts in its level.
 * points: anchor centres (x, y) in grid units. Outputs: boxes [B A 4] (xyxy, grid units), probs and
 * softplus [B A NC], bins [B A 4 REG], dist [B A 4]; bins, dist and boxes only where need[i]. */
YN_EXPORT int yn_loss_decode(const int32_t *p, const uint64_t *levels, const int32_t *level, const int32_t *offset,
                             const float *points, const uint8_t *need, float *boxes, float *probs, double *softplus,
                             double *bins, double *dist) {
  const int32_t b = p[0], a = p[1], nc = p[2], reg = p[3];
  if (b < 0 || a <= 0 || nc < 0 || reg <= 0) return YN_ERR_ARGS;
  for (int64_t i = 0; i < (int64_t)b * a; i++) {
    const int32_t anc = (int32_t)(i % a);
    const float *v = PTR(const float, levels[level[anc]]);
    const int64_t o = offset[i];
    for (int32_t k = 0; k < nc; k++) {
      const double x = v[o + 4 * reg + k], e = exp(-fabs(x));
      probs[i * nc + k] = (float)(x >= 0 ? 1 / (1 + e) : e / (1 + e));
      softplus[i * nc + k] = (x > 0 ? x : 0) + log1p(e);
    }
    if (!need[i]) continue;
    for (int32_t k = 0; k < 4; k++) {
      const int64_t src = o + k * reg, dst = (4 * i + k) * reg;
      double max = -INFINITY, sum = 0, dk = 0;
      for (int32_t j = 0; j < reg; j++) max = v[src + j] > max || isnan(v[src + j]) ? v[src + j] : max;
      for (int32_t j = 0; j < reg; j++) sum += bins[dst + j] = exp(v[src + j] - max);
      for (int32_t j = 0; j < reg; j++) dk += (bins[dst + j] /= sum) * j;
      dist[4 * i + k] = dk;
      boxes[4 * i + k] = (float)(k < 2 ? points[2 * anc + k] - dk : points[2 * anc + k - 2] + dk);
    }
  }
  return 0;
}
