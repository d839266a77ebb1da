/**
 * `Conv2DBackpropFilter` built from the backend's own BatchMatMul: wasm has no such kernel, and the
 * cpu one runs at about 0.01 GFLOP/s.
 *
 * dW[i, j, ci, co] = sum over (n, oh, ow) of xpad[n, oh*sh + i, ow*sw + j, ci] * dy[n, oh, ow, co].
 * For each filter tap (i, j) the strided, shifted window of x is copied in JS (zeros where it falls
 * in the padding) into a [Ci, M] matrix, M = N*Ho*Wo, and multiplied by dy as [M, Co]: stride 1
 * copies whole rows from the input transposed to [Ci, N, H, W] by the backend, larger strides
 * gather from NHWC directly; 1x1 stride 1 unpadded is just transpose(x) x dy. Several taps share
 * one matmul ([taps*Ci, M] x [M, Co]) within a memory budget; the product rows are dW flattened as
 * [kh*kw*Ci, Co]. BatchMatMul without transposes runs near the wasm conv2d's speed (it is ~10x
 * slower with transposeA). Any stride, any padding form (`'same'`, `'valid'`, a number, explicit),
 * NHWC only, dilation 1 (tfjs has no gradient for dilated conv2d).
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { allocOutput, callKernel, convGradGeometry, disposeInfo, type Info, values } from "./util.ts";

/** Floats of window copies per matmul (default 16 Mi floats = 64 MiB). */
let tapBudget = 16 * 1024 * 1024;

/**
 * Set how many floats of window copies one matmul may take (several matmuls are used above it);
 * returns the previous value. For tests and memory tuning.
 */
export function setConv2dFilterTapBudget(floats: number): number {
  const prev = tapBudget;
  tapBudget = Math.max(1, Math.floor(floats));
  return prev;
}

/** Filter gradient of a conv2d on the named backend (TensorInfo level). */
export function conv2dBackpropFilterImpl(
  backendName: string,
  backend: unknown,
  x: Info,
  dy: Info,
  attrs: tf.NamedAttrMap,
): Info {
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const { n, h, w, ci, ho, wo, co, sh, sw, kh, kw, pt, pl } = convGradGeometry(
    "Conv2DBackpropFilter",
    x.shape,
    a.filterShape,
    dy,
    a,
  );
  const m = n * ho * wo;
  const taps = kh * kw;
  if (taps === 1 && sh === 1 && sw === 1 && pt === 0 && pl === 0 && ho === h && wo === w && m > 0) {
    return pointwise(backendName, backend, x, dy, ci, co, m);
  }
  const out = allocOutput(backend, [kh, kw, ci, co]);
  if (m === 0 || ci === 0 || co === 0) {
    values(backend, out).fill(0);
    return out;
  }
  const group = Math.max(1, Math.min(taps, Math.floor(tapBudget / (ci * m))));
  let xt: Info | undefined, dy3: Info | undefined;
  try {
    // Stride 1 copies whole rows from the transposed input [Ci, N, H, W]; larger strides gather
    // straight from NHWC (the transpose costs more than it saves there).
    const strided = sh > 1 || sw > 1;
    xt = strided ? undefined : callKernel(backendName, backend, "Transpose", { x }, { perm: [3, 0, 1, 2] });
    dy3 = callKernel(backendName, backend, "Reshape", { x: dy }, { shape: [1, m, co] });
    for (let t0 = 0; t0 < taps; t0 += group) {
      const g = Math.min(group, taps - t0);
      const a = allocOutput(backend, [1, g * ci, m]);
      let prod: Info | undefined;
      try {
        const src = values(backend, xt ?? x) as Float32Array;
        const dst = values(backend, a) as Float32Array;
        for (let t = 0; t < g; t++) {
          const i = Math.floor((t0 + t) / kw), j = (t0 + t) % kw;
          const win: Window = { c: ci, n, h, w, ho, wo, sh, sw, di: i - pt, dj: j - pl };
          if (strided) gatherWindowNHWC(src, dst, t * ci * m, win);
          else fillWindow(src, dst, t * ci * m, win);
        }
        prod = callKernel(backendName, backend, "BatchMatMul", { a, b: dy3 }, {
          transposeA: false,
          transposeB: false,
        }); // [1, g*Ci, Co]
        const pv = values(backend, prod);
        values(backend, out).set(pv.subarray(0, g * ci * co), t0 * ci * co);
      } finally {
        disposeInfo(backend, a);
        disposeInfo(backend, prod);
      }
    }
  } catch (e) {
    disposeInfo(backend, out);
    throw e;
  } finally {
    disposeInfo(backend, xt);
    disposeInfo(backend, dy3);
  }
  return out;
}

/** 1x1, stride 1, unpadded: dW = transpose(x) [Ci, M] x dy [M, Co], no window copies. */
function pointwise(
  backendName: string,
  backend: unknown,
  x: Info,
  dy: Info,
  ci: number,
  co: number,
  m: number,
): Info {
  let xt: Info | undefined, a: Info | undefined, b: Info | undefined, prod: Info | undefined;
  try {
    xt = callKernel(backendName, backend, "Transpose", { x }, { perm: [3, 0, 1, 2] });
    a = callKernel(backendName, backend, "Reshape", { x: xt }, { shape: [1, ci, m] });
    b = callKernel(backendName, backend, "Reshape", { x: dy }, { shape: [1, m, co] });
    prod = callKernel(backendName, backend, "BatchMatMul", { a, b }, {
      transposeA: false,
      transposeB: false,
    });
    return callKernel(backendName, backend, "Reshape", { x: prod }, { shape: [1, 1, ci, co] });
  } finally {
    for (const t of [xt, a, b, prod]) disposeInfo(backend, t);
  }
}

/** One kernel tap's window: channels, images, input and output sizes, strides and the tap's offset. */
interface Window {
  c: number;
  n: number;
  h: number;
  w: number;
  ho: number;
  wo: number;
  sh: number;
  sw: number;
  di: number;
  dj: number;
}

/**
 * dst[off + c*M + (b*Ho + oh)*Wo + ow] = src[c, b, oh*sh + di, ow*sw + dj] (0 outside the input),
 * src laid out as [C, N, H, W].
 */
function fillWindow(src: Float32Array, dst: Float32Array, off: number, g: Window): void {
  const { c, n, h, w, ho, wo, sh, sw, di, dj } = g;
  if (sh === 1 && sw === 1 && wo === w && Math.abs(dj) < w) {
    fillWindowFullRows(src, dst, off, g);
    return;
  }
  // Valid output columns: 0 <= ow*sw + dj < w.
  const owLo = Math.min(wo, Math.max(0, Math.ceil(-dj / sw)));
  const owHi = Math.max(owLo, Math.min(wo, Math.floor((w - 1 - dj) / sw) + 1));
  let d = off;
  for (let cc = 0; cc < c; cc++) {
    for (let b = 0; b < n; b++) {
      const plane = (cc * n + b) * h * w;
      for (let oh = 0; oh < ho; oh++) {
        const r = oh * sh + di;
        if (r < 0 || r >= h) {
          dst.fill(0, d, d + wo);
          d += wo;
          continue;
        }
        if (owLo > 0) dst.fill(0, d, d + owLo);
        const rowStart = plane + r * w + owLo * sw + dj;
        if (sw === 1) {
          dst.set(src.subarray(rowStart, rowStart + (owHi - owLo)), d + owLo);
        } else {
          for (let ow = owLo, s = rowStart; ow < owHi; ow++, s += sw) dst[d + ow] = src[s];
        }
        if (owHi < wo) dst.fill(0, d + owHi, d + wo);
        d += wo;
      }
    }
  }
}

/** {@link fillWindow} reading x in its NHWC layout. */
function gatherWindowNHWC(src: Float32Array, dst: Float32Array, off: number, g: Window): void {
  const { c, n, h, w, ho, wo, sh, sw, di, dj } = g;
  const m = n * ho * wo;
  const owLo = Math.min(wo, Math.max(0, Math.ceil(-dj / sw)));
  const owHi = Math.max(owLo, Math.min(wo, Math.floor((w - 1 - dj) / sw) + 1));
  const ohLo = Math.min(ho, Math.max(0, Math.ceil(-di / sh)));
  const ohHi = Math.max(ohLo, Math.min(ho, Math.floor((h - 1 - di) / sh) + 1));
  if (owLo > 0 || owHi < wo || ohLo > 0 || ohHi < ho) dst.fill(0, off, off + c * m);
  for (let b = 0; b < n; b++) {
    for (let oh = ohLo; oh < ohHi; oh++) {
      const rowBase = ((b * h + oh * sh + di) * w + dj) * c;
      let mm = off + (b * ho + oh) * wo + owLo;
      for (let ow = owLo; ow < owHi; ow++, mm++) {
        const s = rowBase + ow * sw * c;
        for (let cc = 0, d = mm; cc < c; cc++, d += m) dst[d] = src[s + cc];
      }
    }
  }
}

/**
 * {@link fillWindow} for stride 1 with output rows as wide as input rows (the usual 'same' conv):
 * the valid rows of one (channel, image) plane are one contiguous span shifted by di*w + dj, copied
 * at once; the columns that wrapped around a row edge are then zeroed.
 */
function fillWindowFullRows(src: Float32Array, dst: Float32Array, off: number, g: Window): void {
  const { c, n, h, w, ho, di, dj } = g;
  const ohLo = Math.min(ho, Math.max(0, -di));
  const ohHi = Math.max(ohLo, Math.min(ho, h - di));
  const block = ho * w;
  for (let p = 0; p < c * n; p++) {
    const plane = p * h * w, d0 = off + p * block;
    dst.fill(0, d0, d0 + ohLo * w);
    dst.fill(0, d0 + ohHi * w, d0 + block);
    if (ohHi === ohLo) continue;
    const start = plane + (ohLo + di) * w + dj, len = (ohHi - ohLo) * w, dStart = d0 + ohLo * w;
    const lo = Math.max(start, plane), hi = Math.min(start + len, plane + h * w);
    if (lo > start) dst.fill(0, dStart, dStart + (lo - start));
    if (hi > lo) dst.set(src.subarray(lo, hi), dStart + (lo - start));
    if (start + len > hi) dst.fill(0, dStart + Math.max(0, hi - start), dStart + len);
    if (dj > 0) {
      for (let r = dStart + w - dj; r < dStart + len; r += w) dst.fill(0, r, r + dj);
    } else if (dj < 0) {
      for (let r = dStart; r < dStart + len; r += w) dst.fill(0, r, r - dj);
    }
  }
}

/** Kernel function for `tf.registerKernel` on the named backend. */
export function conv2dBackpropFilterKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as unknown as { x: Info; dy: Info };
    return conv2dBackpropFilterImpl(backendName, backend, x, dy, attrs ?? {});
  };
}
