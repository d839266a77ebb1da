/* 2-D convolution through oneDNN: forward (optionally fused with bias and an activation), gradient
 * w.r.t. the input and gradient w.r.t. the filter. Activations are NHWC and filters HWIO (tfjs
 * layouts), used in place; oneDNN picks its own filter layout, and filters are reordered per call
 * (they are small). Primitives are cached per shape.
 *
 * The forward may run in bfloat16 (PREC = 1): input and filter are rounded to bf16 (the input into a
 * per-thread scratch buffer, the filter by its reorder), products accumulate in float32, and bias,
 * activation and output stay float32, as in PyTorch's CPU autocast. On a CPU with AVX512_BF16 or
 * AMX this doubles (or more) the arithmetic rate. PREC = 2 runs 3x3 stride-1 forwards as Winograd
 * (conv_wino.c). yn_conv_native() says whether oneDNN has such kernels here. */
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include "conv.h"

/* Cache: open addressing over a window of PROBE slots from the key's hash; a miss with a full
 * window replaces its slots in turn. */
#define CACHE 1024
#define PROBE 8
/* Per thread: one process may call from several threads (Deno runs workers and parallel test
 * modules in one process, each on its own thread), and a oneDNN primitive in the library's scratchpad
 * mode uses the scratchpad of the thread that executes it, sized when a primitive of that thread was
 * created; the entries' memory handles are set per call too. */
static _Thread_local entry_t cache[CACHE];
static _Thread_local unsigned evictions = 0;
_Thread_local dnnl_engine_t conv_engine;
_Thread_local dnnl_stream_t conv_stream;
_Thread_local scratch_t conv_src, conv_dst;

void *conv_grow(scratch_t *s, size_t bytes) {
  if (s->cap >= bytes) return s->p;
  free(s->p);
  s->cap = 0;
  if (!(s->p = aligned_alloc(64, (bytes + 63) / 64 * 64))) return NULL;
  s->cap = bytes;
  return s->p;
}

static int init_engine(void) {
  if (conv_engine) return 0;
  if (dnnl_engine_create(&conv_engine, dnnl_cpu, 0) != dnnl_success) return YN_ERR_DNNL;
  if (dnnl_stream_create(&conv_stream, conv_engine, dnnl_stream_default_flags) != dnnl_success) return YN_ERR_DNNL;
  return 0;
}

static void release(entry_t *e) {
  if (e->prim) dnnl_primitive_destroy(e->prim);
  if (e->wreorder) dnnl_primitive_destroy(e->wreorder);
  if (e->sreorder) dnnl_primitive_destroy(e->sreorder);
  if (e->dreorder) dnnl_primitive_destroy(e->dreorder);
  dnnl_memory_t ms[7] = {e->act_a, e->act_b, e->wuser, e->wint, e->bias, e->suser, e->duser};
  for (int i = 0; i < 7; i++)
    if (ms[i]) dnnl_memory_destroy(ms[i]);
  free(e->wbuf);
  memset(e, 0, sizeof *e);
}

static int build(entry_t *e, int kind, const int32_t *p, float alpha) {
  if (kind == FWD && p[19] == 2) {
    const int r = conv_build_wino(e, p);
    if (r <= 0) return r;
  }
  int st = 0;
  dnnl_primitive_desc_t pd = NULL, fwd_pd = NULL, rpd = NULL;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t po = NULL;
  dnnl_memory_desc_t src, dst, wany, wusr, bmd, susr;
  dnnl_dims_t sd = {p[0], p[3], p[1], p[2]}, dd = {p[0], p[4], p[5], p[6]}, wd = {p[4], p[3], p[7], p[8]};
  dnnl_dims_t bd = {p[4]}, strides = {p[9], p[10]}, dil = {p[11] - 1, p[12] - 1};
  dnnl_dims_t pl = {p[13], p[14]}, pr = {p[15], p[16]};
  const int bf16 = kind == FWD && p[19] == 1;
  const dnnl_data_type_t dt = bf16 ? dnnl_bf16 : dnnl_f32;
  CK(dnnl_memory_desc_init_by_tag(&src, 4, sd, dt, dnnl_nhwc));
  CK(dnnl_memory_desc_init_by_tag(&susr, 4, sd, dnnl_f32, dnnl_nhwc));
  CK(dnnl_memory_desc_init_by_tag(&dst, 4, dd, dnnl_f32, dnnl_nhwc));
  CK(dnnl_memory_desc_init_by_tag(&wany, 4, wd, dt, dnnl_format_tag_any));
  CK(dnnl_memory_desc_init_by_tag(&wusr, 4, wd, dnnl_f32, dnnl_hwio));
  CK(dnnl_memory_desc_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_a));
  int has_bias = kind == FWD && p[18];
  dnnl_convolution_desc_t fd, bdsc;
  CK(dnnl_dilated_convolution_forward_desc_init(&fd, kind == FWD ? dnnl_forward_inference : dnnl_forward_training,
                                                dnnl_convolution_direct, &src, &wany, has_bias ? &bmd : NULL, &dst,
                                                strides, dil, pl, pr));
  if (kind == FWD) {
    CK(dnnl_primitive_attr_create(&attr));
    if (p[17] != YN_LINEAR) {
      CK(dnnl_post_ops_create(&po));
      switch (p[17]) {
        case YN_RELU: CK(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_relu, 0.f, 0.f)); break;
        case YN_LEAKY: CK(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_relu, alpha, 0.f)); break;
        case YN_RELU6: CK(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_clip, 0.f, 6.f)); break;
        case YN_ELU: CK(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_elu, 1.f, 0.f)); break;
        case YN_SIGMOID: CK(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_logistic, 0.f, 0.f)); break;
        case YN_SILU: CK(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_swish, 1.f, 0.f)); break;
        default: st = YN_ERR_ARGS; goto fail;
      }
      CK(dnnl_primitive_attr_set_post_ops(attr, po));
    }
    CK(dnnl_primitive_desc_create(&pd, &fd, attr, conv_engine, NULL));
  } else {
    CK(dnnl_primitive_desc_create(&fwd_pd, &fd, NULL, conv_engine, NULL));
    if (kind == BWD_DATA) {
      CK(dnnl_dilated_convolution_backward_data_desc_init(&bdsc, dnnl_convolution_direct, &src, &wany, &dst, strides,
                                                          dil, pl, pr));
    } else {
      CK(dnnl_dilated_convolution_backward_weights_desc_init(&bdsc, dnnl_convolution_direct, &src, &wany, NULL, &dst,
                                                             strides, dil, pl, pr));
    }
    CK(dnnl_primitive_desc_create(&pd, &bdsc, NULL, conv_engine, fwd_pd));
  }
  CK(dnnl_primitive_create(&e->prim, pd));
  const dnnl_memory_desc_t *wint =
      dnnl_primitive_desc_query_md(pd, kind == BWD_WEIGHTS ? dnnl_query_diff_weights_md : dnnl_query_weights_md, 0);
  CK(dnnl_memory_create(&e->act_a, kind == BWD_DATA ? &dst : &src, conv_engine, DNNL_MEMORY_NONE));
  CK(dnnl_memory_create(&e->act_b, kind == BWD_DATA ? &src : &dst, conv_engine, DNNL_MEMORY_NONE));
  CK(dnnl_memory_create(&e->wuser, &wusr, conv_engine, DNNL_MEMORY_NONE));
  if (has_bias) CK(dnnl_memory_create(&e->bias, &bmd, conv_engine, DNNL_MEMORY_NONE));
  if (bf16) {
    CK(dnnl_memory_create(&e->suser, &susr, conv_engine, DNNL_MEMORY_NONE));
    e->bf_bytes = dnnl_memory_desc_get_size(&src);
    dnnl_primitive_desc_t spd = NULL;
    CK(dnnl_reorder_primitive_desc_create(&spd, &susr, conv_engine, &src, conv_engine, NULL));
    const dnnl_status_t made = dnnl_primitive_create(&e->sreorder, spd);
    dnnl_primitive_desc_destroy(spd);
    CK(made);
  }
  if (!dnnl_memory_desc_equal(wint, &wusr)) {
    size_t sz = dnnl_memory_desc_get_size(wint);
    e->wbuf = aligned_alloc(64, (sz + 63) / 64 * 64);
    if (!e->wbuf) { st = YN_ERR_ALLOC; goto fail; }
    CK(dnnl_memory_create(&e->wint, wint, conv_engine, e->wbuf));
    if (kind == BWD_WEIGHTS) CK(dnnl_reorder_primitive_desc_create(&rpd, wint, conv_engine, &wusr, conv_engine, NULL));
    else CK(dnnl_reorder_primitive_desc_create(&rpd, &wusr, conv_engine, wint, conv_engine, NULL));
    CK(dnnl_primitive_create(&e->wreorder, rpd));
  }
fail:
  if (rpd) dnnl_primitive_desc_destroy(rpd);
  if (pd) dnnl_primitive_desc_destroy(pd);
  if (fwd_pd) dnnl_primitive_desc_destroy(fwd_pd);
  if (attr) dnnl_primitive_attr_destroy(attr);
  if (po) dnnl_post_ops_destroy(po);
  return st;
}

/* Threads for one conv: small ones run on the calling thread alone (a parallel region costs more than
 * it saves, and far more when the cores are shared with other processes). oneDNN fixes a primitive's
 * thread count when it is created, so the count is part of the cache key. */
#define SMALL_FLOPS 8e6
static int conv_threads(const int32_t *p) {
  double flops = 2.0 * p[0] * p[5] * p[6] * p[4] * p[3] * p[7] * p[8];
  return flops < SMALL_FLOPS ? 1 : omp_get_max_threads();
}

static entry_t *lookup(int kind, const int32_t *p, float alpha, int *err) {
  int32_t key[KEYP + 2];
  key[0] = kind | conv_threads(p) << 4;
  memcpy(key + 1, p, KEYP * sizeof(int32_t));
  memcpy(key + KEYP + 1, &alpha, sizeof(float));
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < sizeof key / sizeof key[0]; i++) h = (h ^ (uint32_t)key[i]) * 16777619u;
  entry_t *e = NULL;
  for (int j = 0; j < PROBE; j++) {
    entry_t *c = &cache[(h + j) % CACHE];
    if (c->used && !memcmp(c->key, key, sizeof key)) return c;
    if (!c->used && !e) e = c;
  }
  if (!e) e = &cache[(h + evictions++ % PROBE) % CACHE];
  release(e);
  *err = build(e, kind, p, alpha);
  if (*err) { release(e); return NULL; }
  memcpy(e->key, key, sizeof key);
  e->used = 1;
  return e;
}

int conv_run(dnnl_primitive_t prim, int n, dnnl_exec_arg_t *args) {
  dnnl_status_t s = dnnl_primitive_execute(prim, conv_stream, n, args);
  if (s == dnnl_success) s = dnnl_stream_wait(conv_stream);
  return s == dnnl_success ? 0 : YN_ERR_DNNL - (int)s;
}

static int execute(entry_t *e, int kind, const float *a, const float *b, const float *bias, float *out) {
  int st;
  const float *w = kind == BWD_WEIGHTS ? NULL : b;
  if (e->sreorder) { /* bf16 forward: round the input into the scratch buffer */
    void *bf_src = conv_grow(&conv_src, e->bf_bytes);
    if (!bf_src) return YN_ERR_ALLOC;
    dnnl_memory_set_data_handle(e->suser, (void *)a);
    dnnl_memory_set_data_handle(e->act_a, bf_src);
    dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, e->suser}, {DNNL_ARG_TO, e->act_a}};
    if ((st = conv_run(e->sreorder, 2, ra))) return st;
  } else {
    dnnl_memory_set_data_handle(e->act_a, (void *)a);
  }
  dnnl_memory_set_data_handle(e->act_b, kind == BWD_WEIGHTS ? (void *)b : (void *)out);
  dnnl_memory_set_data_handle(e->wuser, kind == BWD_WEIGHTS ? (void *)out : (void *)w);
  if (e->wreorder && kind != BWD_WEIGHTS) {
    dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, e->wuser}, {DNNL_ARG_TO, e->wint}};
    if ((st = conv_run(e->wreorder, 2, ra))) return st;
  }
  dnnl_memory_t wmem = e->wreorder ? e->wint : e->wuser;
  dnnl_exec_arg_t args[4];
  int n = 0;
  if (kind == FWD) {
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, e->act_a};
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, wmem};
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST, e->act_b};
    if (e->bias) {
      dnnl_memory_set_data_handle(e->bias, (void *)bias);
      args[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, e->bias};
    }
  } else if (kind == BWD_DATA) {
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, e->act_a};
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, wmem};
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC, e->act_b};
  } else {
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, e->act_a};
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, e->act_b};
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS, wmem};
  }
  if ((st = conv_run(e->prim, n, args))) return st;
  if (e->wreorder && kind == BWD_WEIGHTS) {
    dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, e->wint}, {DNNL_ARG_TO, e->wuser}};
    if ((st = conv_run(e->wreorder, 2, ra))) return st;
  }
  return 0;
}

/* kind 0: out = act(conv(a = x, b = w) + bias); kind 1: out = dx from a = dy, b = w;
 * kind 2: out = dw (HWIO) from a = x, b = dy. p as described at the top, alpha: leaky-relu slope. */
YN_EXPORT int yn_conv2d(int kind, const int32_t *p, float alpha, const float *a, const float *b,
                        const float *bias, float *out) {
  yn_threads();
  if (kind < FWD || kind > BWD_WEIGHTS || !p || !a || !b || !out) return YN_ERR_ARGS;
  int st = init_engine();
  if (st) return st;
  const int all = omp_get_max_threads(), nt = conv_threads(p);
  if (nt != all) omp_set_num_threads(nt);
  entry_t *e = lookup(kind, p, alpha, &st);
  if (e) st = e->wino ? conv_execute_wino(e, p, a, b, bias, out) : execute(e, kind, a, b, bias, out);
  if (nt != all) omp_set_num_threads(all);
  return st;
}

/* Whether oneDNN has a native forward convolution kernel on this CPU for PREC `prec` (1 bf16:
 * AVX512_BF16 or AMX, not the reference loops or an emulation; 2 Winograd): 1 or 0, and the
 * implementation's name in `name` (up to `cap` bytes, NUL-terminated). Probed on a 3x3 convolution of
 * 64 channels. */
YN_EXPORT int yn_conv_native(int prec, char *name, int cap) {
  if (prec != 1 && prec != 2) return YN_ERR_ARGS;
  if (init_engine()) return YN_ERR_DNNL;
  const int32_t p[NP] = {1, 16, 16, 64, 64, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, YN_SILU, 1, prec};
  int st = 0;
  entry_t *e = lookup(FWD, p, 0.f, &st);
  if (!e) return st;
  const_dnnl_primitive_desc_t pd;
  const char *impl = "";
  if (dnnl_primitive_get_primitive_desc(e->prim, &pd) != dnnl_success ||
      dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success)
    return YN_ERR_DNNL;
  if (name && cap > 0) {
    strncpy(name, impl, (size_t)cap - 1);
    name[cap - 1] = 0;
  }
  if (prec == 2) return strstr(impl, "wino") != NULL;
  return strstr(impl, "ref") == NULL && (strstr(impl, "bf16") != NULL || strstr(impl, "amx") != NULL);
}
