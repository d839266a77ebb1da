/* Internal declarations of the convolution shim (conv.c: primitives, their cache and the entry points;
 * conv_wino.c: the Winograd forward and its filter cache). Not part of the exported API (yn.h). */
#ifndef YN_CONV_H
#define YN_CONV_H
#include <oneapi/dnnl/dnnl.h>
#include "yn.h"

/* p: N H W C  O OH OW  KH KW  SH SW  DH DW  PT PL PB PR  ACT HAS_BIAS  PREC  TOKEN_LO TOKEN_HI
 * PREC (forward only): 0 f32, 1 bf16, 2 f32 Winograd where oneDNN has it for the shape (3x3, stride 1,
 * no dilation; other shapes run direct). TOKEN: the filter's identity for the Winograd filter cache
 * (0: none, the filter is transformed at every call). The first KEYP values identify a primitive. */
#define NP 22
#define KEYP 20
enum { FWD = 0, BWD_DATA = 1, BWD_WEIGHTS = 2 };

typedef struct {
  int used;
  int32_t key[KEYP + 2];
  dnnl_primitive_t prim, wreorder; /* wreorder: HWIO -> internal (fwd, bwd data) or back (bwd weights) */
  dnnl_primitive_t sreorder;        /* bf16 forward: the f32 input -> bf16 scratch */
  dnnl_memory_t act_a, act_b, wuser, wint, bias, suser;
  void *wbuf; /* internal filter buffer when a reorder is needed */
  size_t bf_bytes; /* bf16 forward: size of the rounded input; Winograd: of the blocked input */
  /* Winograd forward: blocked input and output in scratch buffers, the output reordered back to NHWC
   * (dreorder) and the activation applied after it (oneDNN's Winograd has no activation post-op). */
  int wino, act;
  dnnl_primitive_t dreorder;
  dnnl_memory_t duser;
  size_t dst_bytes;
} entry_t;

/* A buffer of a thread, grown as needed: the bf16 forward's rounded input; the Winograd forward's
 * blocked input and output. */
typedef struct {
  void *p;
  size_t cap;
} scratch_t;
void *conv_grow(scratch_t *s, size_t bytes);
extern _Thread_local scratch_t conv_src, conv_dst;

/* The calling thread's oneDNN engine and stream (conv.c). */
extern _Thread_local dnnl_engine_t conv_engine;
extern _Thread_local dnnl_stream_t conv_stream;

/* Execute a primitive and wait: 0 or the shim's error code. */
int conv_run(dnnl_primitive_t prim, int n, dnnl_exec_arg_t *args);

/* The Winograd forward (PREC 2, conv_wino.c): build it into `e` (0; 1 when oneDNN has none for the
 * shape, so the caller builds the direct one; negative on error), and run it. */
int conv_build_wino(entry_t *e, const int32_t *p);
int conv_execute_wino(entry_t *e, const int32_t *p, const float *x, const float *w, const float *bias, float *out);

#define CK(x)                                          \
  do {                                                 \
    dnnl_status_t s_ = (x);                            \
    if (s_ != dnnl_success) { st = YN_ERR_DNNL - (int)s_; goto fail; } \
  } while (0)

#endif
