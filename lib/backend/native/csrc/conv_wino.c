/* The Winograd forward convolution (PREC 2 of yn_conv2d, csrc/conv.c): float32 Winograd F(4x4, 3x3)
 * or F(2x2, 3x3), as oneDNN picks, for 3x3 stride-1 convolutions (other shapes run direct). oneDNN's
 * Winograd kernels take blocked layouts and no activation post-op, so the NHWC input is reordered into a
 * scratch buffer, the output reordered back, and the activation applied after. The filter transform
 * costs more than the convolution, so transformed filters are kept per filter (below). */
#include <stdlib.h>
#include <string.h>
#include "conv.h"

/* The Winograd forward (PREC 2): 0 when built, 1 when oneDNN has no Winograd kernel for the shape or
 * the activation is not one applied after it (the caller builds the direct one), negative on error. */
int conv_build_wino(entry_t *e, const int32_t *p) {
  if (p[7] != 3 || p[8] != 3 || p[9] != 1 || p[10] != 1 || p[11] != 1 || p[12] != 1) return 1;
  if (p[17] != YN_LINEAR && p[17] != YN_RELU && p[17] != YN_SILU) return 1;
  int st = 0;
  dnnl_primitive_desc_t pd = NULL, rpd = NULL;
  dnnl_memory_desc_t src, dst, wany, susr, dusr, wusr, bmd;
  dnnl_dims_t sd = {p[0], p[3], p[1], p[2]}, dd = {p[0], p[4], p[5], p[6]}, wd = {p[4], p[3], 3, 3};
  dnnl_dims_t bd = {p[4]}, strides = {1, 1}, dil = {0, 0}, pl = {p[13], p[14]}, pr = {p[15], p[16]};
  CK(dnnl_memory_desc_init_by_tag(&src, 4, sd, dnnl_f32, dnnl_format_tag_any));
  CK(dnnl_memory_desc_init_by_tag(&dst, 4, dd, dnnl_f32, dnnl_format_tag_any));
  CK(dnnl_memory_desc_init_by_tag(&wany, 4, wd, dnnl_f32, dnnl_format_tag_any));
  CK(dnnl_memory_desc_init_by_tag(&susr, 4, sd, dnnl_f32, dnnl_nhwc));
  CK(dnnl_memory_desc_init_by_tag(&dusr, 4, dd, dnnl_f32, dnnl_nhwc));
  CK(dnnl_memory_desc_init_by_tag(&wusr, 4, wd, dnnl_f32, dnnl_hwio));
  CK(dnnl_memory_desc_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_a));
  dnnl_convolution_desc_t fd;
  CK(dnnl_dilated_convolution_forward_desc_init(&fd, dnnl_forward_inference, dnnl_convolution_winograd, &src, &wany,
                                                p[18] ? &bmd : NULL, &dst, strides, dil, pl, pr));
  if (dnnl_primitive_desc_create(&pd, &fd, NULL, conv_engine, NULL) != dnnl_success) return 1;
  e->wino = 1;
  e->act = p[17];
  CK(dnnl_primitive_create(&e->prim, pd));
  const dnnl_memory_desc_t *bsrc = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
  const dnnl_memory_desc_t *bdst = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
  const dnnl_memory_desc_t *wint = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  e->bf_bytes = dnnl_memory_desc_get_size(bsrc);
  e->dst_bytes = dnnl_memory_desc_get_size(bdst);
  CK(dnnl_memory_create(&e->act_a, bsrc, conv_engine, DNNL_MEMORY_NONE));
  CK(dnnl_memory_create(&e->act_b, bdst, conv_engine, DNNL_MEMORY_NONE));
  CK(dnnl_memory_create(&e->suser, &susr, conv_engine, DNNL_MEMORY_NONE));
  CK(dnnl_memory_create(&e->duser, &dusr, conv_engine, DNNL_MEMORY_NONE));
  CK(dnnl_memory_create(&e->wuser, &wusr, conv_engine, DNNL_MEMORY_NONE));
  CK(dnnl_memory_create(&e->wint, wint, conv_engine, DNNL_MEMORY_NONE));
  if (p[18]) CK(dnnl_memory_create(&e->bias, &bmd, conv_engine, DNNL_MEMORY_NONE));
  CK(dnnl_reorder_primitive_desc_create(&rpd, &susr, conv_engine, bsrc, conv_engine, NULL));
  CK(dnnl_primitive_create(&e->sreorder, rpd));
  dnnl_primitive_desc_destroy(rpd);
  rpd = NULL;
  CK(dnnl_reorder_primitive_desc_create(&rpd, bdst, conv_engine, &dusr, conv_engine, NULL));
  CK(dnnl_primitive_create(&e->dreorder, rpd));
  dnnl_primitive_desc_destroy(rpd);
  rpd = NULL;
  CK(dnnl_reorder_primitive_desc_create(&rpd, &wusr, conv_engine, wint, conv_engine, NULL));
  CK(dnnl_primitive_create(&e->wreorder, rpd));
fail:
  if (rpd) dnnl_primitive_desc_destroy(rpd);
  if (pd) dnnl_primitive_desc_destroy(pd);
  return st;
}

/* Winograd filters, transformed once per filter (a tensor the caller names by a token) and kept up to
 * WCACHE filters and WCACHE_BYTES per thread: the transform costs more than the convolution itself.
 * The caller forgets a token when its tensor dies (yn_conv_forget); to make room, filters not used in
 * the last WIDLE Winograd calls go first (least recently used first), and when that is not enough the
 * filter is transformed for this call only, so a model larger than the cache keeps the part that fits
 * instead of cycling through it. A hit also compares WPROBE sampled filter values with those
 * transformed, so a filter changed in place under the same token (an in-place optimizer step) is
 * transformed anew. */
#define WCACHE 512
#define WCACHE_BYTES ((size_t)1 << 30)
#define WIDLE 4096
#define WPROBE 16
typedef struct {
  uint64_t token, stamp;
  dnnl_memory_desc_t md;
  void *buf;
  size_t bytes;
  float probe[WPROBE];
} wentry_t;
static _Thread_local wentry_t wcache[WCACHE];
static _Thread_local size_t wcache_bytes;
static _Thread_local uint64_t wclock;
static _Thread_local scratch_t scratch_w; /* the filter of a call it does not keep */

static void wdrop(wentry_t *w) {
  free(w->buf);
  wcache_bytes -= w->bytes;
  memset(w, 0, sizeof *w);
}

/* A free slot for `bytes` more, evicting idle filters; NULL when they cannot fit. */
static wentry_t *wslot(size_t bytes) {
  for (;;) {
    wentry_t *empty = NULL, *old = NULL;
    for (int i = 0; i < WCACHE; i++) {
      wentry_t *w = &wcache[i];
      if (!w->buf) { if (!empty) empty = w; }
      else if (w->stamp + WIDLE < wclock && (!old || w->stamp < old->stamp)) old = w;
    }
    if (empty && wcache_bytes + bytes <= WCACHE_BYTES) return empty;
    if (!old) return NULL;
    wdrop(old);
  }
}

/* Drop the kept Winograd filters of `token` (lo, hi: its 32-bit halves), whose tensor is gone. */
YN_EXPORT int yn_conv_forget(int32_t lo, int32_t hi) {
  const uint64_t token = (uint64_t)(uint32_t)lo | (uint64_t)(uint32_t)hi << 32;
  for (int i = 0; i < WCACHE; i++)
    if (wcache[i].buf && wcache[i].token == token) wdrop(&wcache[i]);
  return 0;
}

/* The Winograd filters this thread keeps: out[0] their number, out[1] their bytes. */
YN_EXPORT int yn_conv_cache(double *out) {
  int n = 0;
  for (int i = 0; i < WCACHE; i++) n += wcache[i].buf != NULL;
  out[0] = n;
  out[1] = (double)wcache_bytes;
  return 0;
}

static void wprobe(const float *w, size_t n, float *out) {
  for (int i = 0; i < WPROBE; i++) out[i] = w[(size_t)i * n / WPROBE];
}

/* The transformed filter `w` (n values) of entry `e`, from the cache when `token` names it already done. */
static void *wino_filter(entry_t *e, uint64_t token, const float *w, size_t n, int *st) {
  const dnnl_memory_desc_t *md;
  if (dnnl_memory_get_memory_desc(e->wint, &md) != dnnl_success) { *st = YN_ERR_DNNL; return NULL; }
  float probe[WPROBE];
  wprobe(w, n, probe);
  wentry_t *slot = NULL;
  const size_t bytes = dnnl_memory_desc_get_size(md);
  ++wclock;
  for (int i = 0; token && !slot && i < WCACHE; i++) {
    wentry_t *c = &wcache[i];
    if (!c->buf || c->token != token || !dnnl_memory_desc_equal(&c->md, md)) continue;
    c->stamp = wclock;
    if (!memcmp(c->probe, probe, sizeof probe)) return c->buf;
    slot = c; /* changed in place: transform again into the same buffer */
  }
  if (token && !slot && (slot = wslot(bytes))) {
    if (!(slot->buf = aligned_alloc(64, (bytes + 63) / 64 * 64))) { *st = YN_ERR_ALLOC; return NULL; }
    *slot = (wentry_t){token, wclock, *md, slot->buf, bytes, {0}};
    wcache_bytes += bytes;
  }
  void *buf = slot ? slot->buf : conv_grow(&scratch_w, bytes);
  if (!buf) { *st = YN_ERR_ALLOC; return NULL; }
  dnnl_memory_set_data_handle(e->wuser, (void *)w);
  dnnl_memory_set_data_handle(e->wint, buf);
  dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, e->wuser}, {DNNL_ARG_TO, e->wint}};
  if ((*st = conv_run(e->wreorder, 2, ra))) {
    if (slot) wdrop(slot);
    return NULL;
  }
  if (slot) memcpy(slot->probe, probe, sizeof probe);
  return buf;
}

/* Winograd forward: the input reordered to the kernel's blocked layout, the convolution with bias, the
 * output reordered back to NHWC, then the activation. */
int conv_execute_wino(entry_t *e, const int32_t *p, const float *x, const float *w, const float *bias, float *out) {
  const uint64_t token = (uint64_t)(uint32_t)p[20] | (uint64_t)(uint32_t)p[21] << 32;
  const size_t n_out = (size_t)p[0] * p[5] * p[6] * p[4];
  int st = 0;
  void *bs = conv_grow(&conv_src, e->bf_bytes), *bd = conv_grow(&conv_dst, e->dst_bytes);
  if (!bs || !bd) return YN_ERR_ALLOC;
  void *wb = wino_filter(e, token, w, (size_t)9 * p[3] * p[4], &st);
  if (!wb) return st;
  dnnl_memory_set_data_handle(e->suser, (void *)x);
  dnnl_memory_set_data_handle(e->act_a, bs);
  dnnl_memory_set_data_handle(e->act_b, bd);
  dnnl_memory_set_data_handle(e->duser, out);
  dnnl_memory_set_data_handle(e->wint, wb);
  dnnl_exec_arg_t sa[2] = {{DNNL_ARG_FROM, e->suser}, {DNNL_ARG_TO, e->act_a}};
  dnnl_exec_arg_t da[2] = {{DNNL_ARG_FROM, e->act_b}, {DNNL_ARG_TO, e->duser}};
  dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, e->act_a}, {DNNL_ARG_WEIGHTS, e->wint}, {DNNL_ARG_DST, e->act_b}};
  int n = 3;
  if (e->bias) {
    dnnl_memory_set_data_handle(e->bias, (void *)bias);
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, e->bias};
  }
  if ((st = conv_run(e->sreorder, 2, sa)) || (st = conv_run(e->prim, n, args)) || (st = conv_run(e->dreorder, 2, da))) return st;
  if (e->act == YN_SILU) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n_out; i++) out[i] = out[i] * yn_sigmoidf(out[i]);
  } else if (e->act == YN_RELU) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n_out; i++) out[i] = out[i] < 0.f ? 0.f : out[i];
  }
  return 0;
}
