/**
 * `Conv2DBackpropInput` built from the backend's own Conv2D: the stock wasm kernel is a naive loop
 * (about 1.6 GFLOP/s).
 *
 * With hp = h + padTop written as q*sh + a (phase a < sh), only the filter rows i = a + sh*u touch
 * that output row, through dy row q - u. So each phase (a, b) of dx is a stride-1 correlation of dy
 * with the sub-filter w[a::sh, b::sw], flipped and transposed to [.., Co, Ci], with explicit
 * padding chosen to produce exactly the rows and columns of that phase inside the input. Stride 1
 * is the single phase, whose output is dx itself; larger strides interleave the sh*sw phase
 * outputs in JS. This does no wasted multiplications (zero-dilating dy would do sh*sw times the
 * work). Any padding form, NHWC only, dilation 1.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { allocOutput, allocZeros, convGradGeometry, callKernel, disposeInfo, type Info, values } from "./util.ts";

/** Input gradient of a conv2d on the named backend (TensorInfo level). */
export function conv2dBackpropInputImpl(
  backendName: string,
  backend: unknown,
  dy: Info,
  filter: Info,
  attrs: tf.NamedAttrMap,
): Info {
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const { n, h, w, ci, ho, wo, co, sh, sw, kh, kw, pt, pl } = convGradGeometry(
    "Conv2DBackpropInput",
    a.inputShape,
    filter.shape,
    dy,
    a,
  );
  const wv = Float32Array.from(values(backend, filter)); // small; copied so later allocations cannot move it
  const single = sh === 1 && sw === 1;
  let out: Info | undefined = single ? undefined : allocZeros(backend, [n, h, w, ci]);
  try {
    for (let a = 0; a < sh; a++) {
      const rows = phase(a, sh, kh, pt, h, ho);
      if (!rows) continue;
      for (let b = 0; b < sw; b++) {
        const cols = phase(b, sw, kw, pl, w, wo);
        if (!cols) continue;
        const res = phaseConv(backendName, backend, dy, wv, kw, ci, co, rows, cols, sh, sw);
        if (single) {
          out = res ?? allocZeros(backend, [n, h, w, ci]);
          continue;
        }
        if (!res) continue;
        try {
          const src = values(backend, res) as Float32Array;
          const dst = values(backend, out!) as Float32Array;
          for (let bb = 0; bb < n; bb++) {
            for (let t = 0; t < rows.count; t++) {
              const hh = (rows.q0 + t) * sh + a - pt;
              for (let r = 0; r < cols.count; r++) {
                const ww = (cols.q0 + r) * sw + b - pl;
                const s = ((bb * rows.count + t) * cols.count + r) * ci;
                dst.set(src.subarray(s, s + ci), ((bb * h + hh) * w + ww) * ci);
              }
            }
          }
        } finally {
          disposeInfo(backend, res);
        }
      }
    }
  } catch (e) {
    disposeInfo(backend, out);
    throw e;
  }
  return out ?? allocZeros(backend, [n, h, w, ci]);
}

/** One phase along one axis: taps a, a+s, ...; output positions q0..q0+count-1 (in units of s). */
interface Phase {
  a: number;
  taps: number;
  q0: number;
  count: number;
  /** Explicit conv padding before / after dy (may be negative: crop dy). */
  before: number;
  after: number;
}

function phase(
  a: number,
  s: number,
  k: number,
  padBefore: number,
  size: number,
  outSize: number,
): Phase | null {
  const taps = a < k ? Math.ceil((k - a) / s) : 0;
  // Positions hp = q*s + a with padBefore <= hp < padBefore + size.
  const q0 = Math.ceil((padBefore - a) / s);
  const q1 = Math.ceil((padBefore + size - a) / s);
  if (taps === 0 || q1 <= q0) return null;
  return { a, taps, q0, count: q1 - q0, before: taps - 1 - q0, after: q1 - outSize };
}

/** Conv2D of dy with the flipped, transposed sub-filter of one phase: [N, rows.count, cols.count, Ci]. */
function phaseConv(
  backendName: string,
  backend: unknown,
  dy: Info,
  wv: Float32Array,
  kw: number,
  ci: number,
  co: number,
  rows: Phase,
  cols: Phase,
  sh: number,
  sw: number,
): Info | null {
  const [n, ho, wo] = dy.shape;
  // Negative padding: crop dy instead.
  const cropTop = Math.max(0, -rows.before), cropBottom = Math.max(0, -rows.after);
  const cropLeft = Math.max(0, -cols.before), cropRight = Math.max(0, -cols.after);
  const hIn = ho - cropTop - cropBottom, wIn = wo - cropLeft - cropRight;
  if (hIn <= 0 || wIn <= 0) return null;
  // fph[u, v, co, ci] = w[a + sh*(ka-1-u), b + sw*(kb-1-v), ci, co]
  const ka = rows.taps, kb = cols.taps;
  const fph = new Float32Array(ka * kb * co * ci);
  for (let u = 0; u < ka; u++) {
    const i = rows.a + sh * (ka - 1 - u);
    for (let v = 0; v < kb; v++) {
      const j = cols.a + sw * (kb - 1 - v);
      const src = (i * kw + j) * ci * co;
      const dst = (u * kb + v) * co * ci;
      for (let c = 0; c < ci; c++) {
        for (let o = 0; o < co; o++) fph[dst + o * ci + c] = wv[src + c * co + o];
      }
    }
  }
  let f: Info | undefined, x: Info | undefined;
  const cropped = cropTop || cropBottom || cropLeft || cropRight;
  try {
    f = allocOutput(backend, [ka, kb, co, ci], "float32", fph);
    x = cropped
      ? callKernel(backendName, backend, "Slice", { x: dy }, {
        begin: [0, cropTop, cropLeft, 0],
        size: [n, hIn, wIn, co],
      })
      : dy;
    const padding = [[0, 0], [Math.max(0, rows.before), Math.max(0, rows.after)], [
      Math.max(0, cols.before),
      Math.max(0, cols.after),
    ], [0, 0]];
    return callKernel(backendName, backend, "Conv2D", { x, filter: f }, {
      strides: [1, 1],
      pad: padding,
      dataFormat: "NHWC",
      dilations: [1, 1],
      dimRoundingMode: undefined,
    });
  } finally {
    disposeInfo(backend, f);
    if (cropped) disposeInfo(backend, x);
  }
}

/** Kernel function for `tf.registerKernel` on the named backend. */
export function conv2dBackpropInputKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as unknown as { dy: Info; filter: Info };
    return conv2dBackpropInputImpl(backendName, backend, dy, filter, attrs ?? {});
  };
}
