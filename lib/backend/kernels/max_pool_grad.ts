/**
 * `MaxPoolGrad` in plain JS: the stock wasm kernel returns wrong gradients for k2s2, k2s1, k3s1 and
 * k3s2 on most shapes.
 *
 * Each output's gradient goes to the first maximum of its window (row-major, strict `>`, padding
 * never wins: the -inf semantics of PyTorch and of the tfjs forward maxPool), the same choice as
 * the cpu backend. The argmax is recomputed from the input; the saved output is not needed.
 * Any padding form, NHWC, dilation 1.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { allocZeros, type Info, values } from "./util.ts";

/** MaxPool input gradient on any supported backend (TensorInfo level). */
export function maxPoolGradImpl(backend: unknown, dy: Info, x: Info, attrs: tf.NamedAttrMap): Info {
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  if (dy.shape[0] !== n || dy.shape[1] !== ho || dy.shape[2] !== wo || dy.shape[3] !== c) {
    throw new Error(`MaxPoolGrad: dy shape [${dy.shape}] does not match expected [${[n, ho, wo, c]}]`);
  }
  const out = allocZeros(backend, [n, h, w, c]);
  const xv = values(backend, x) as Float32Array;
  const dyv = values(backend, dy) as Float32Array;
  const dx = values(backend, out) as Float32Array;
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * c;
    for (let oh = 0; oh < ho; oh++) {
      const r0 = oh * sh - pt;
      const rLo = Math.max(0, r0), rHi = Math.min(h, r0 + kh);
      for (let ow = 0; ow < wo; ow++) {
        const c0 = ow * sw - pl;
        const cLo = Math.max(0, c0), cHi = Math.min(w, c0 + kw);
        const yb = ((b * ho + oh) * wo + ow) * c;
        for (let d = 0; d < c; d++) {
          let best = -Infinity, at = -1;
          for (let r = rLo; r < rHi; r++) {
            let idx = xb + (r * w + cLo) * c + d;
            for (let q = cLo; q < cHi; q++, idx += c) {
              const v = xv[idx];
              if (v > best) {
                best = v;
                at = idx;
              }
            }
          }
          if (at >= 0) dx[at] += dyv[yb + d];
        }
      }
    }
  }
  return out;
}

/** Kernel function for `tf.registerKernel`. */
export function maxPoolGradKernel(): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as unknown as { dy: Info; input: Info };
    return maxPoolGradImpl(backend, dy, input, attrs ?? {});
  };
}
