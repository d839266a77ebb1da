/**
 * `AvgPoolGrad` in plain JS. The stock kernels (cpu and wasm) divide by the full window size, but
 * the forward avgPool of both leaves padded cells out of the count, so their gradients are wrong
 * next to the border whenever there is padding; they are also slow (cpu 1.8 s, wasm 0.14 s for
 * a k2s1 grad of [2,80,80,64]).
 *
 * Each output's gradient is spread evenly over the input cells of its window that lie inside the
 * input, matching the forward of both backends. Any padding form, NHWC, dilation 1.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { allocZeros, type Info, values } from "./util.ts";

/** AvgPool input gradient (TensorInfo level). */
export function avgPoolGradImpl(backend: unknown, dy: Info, x: Info, attrs: tf.NamedAttrMap): Info {
  const { filterSize, strides, pad } = attrs as unknown as tf.AvgPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  if (dy.shape[0] !== n || dy.shape[1] !== ho || dy.shape[2] !== wo || dy.shape[3] !== c) {
    throw new Error(`AvgPoolGrad: dy shape [${dy.shape}] does not match expected [${[n, ho, wo, c]}]`);
  }
  const out = allocZeros(backend, [n, h, w, c]);
  const dyv = values(backend, dy) as Float32Array;
  const dx = values(backend, out) as Float32Array;
  const g = new Float32Array(c);
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < ho; oh++) {
      const rLo = Math.max(0, oh * sh - pt), rHi = Math.min(h, oh * sh - pt + kh);
      for (let ow = 0; ow < wo; ow++) {
        const cLo = Math.max(0, ow * sw - pl), cHi = Math.min(w, ow * sw - pl + kw);
        const count = (rHi - rLo) * (cHi - cLo);
        if (count <= 0) continue;
        const yb = ((b * ho + oh) * wo + ow) * c;
        for (let d = 0; d < c; d++) g[d] = dyv[yb + d] / count;
        for (let r = rLo; r < rHi; r++) {
          for (let q = cLo; q < cHi; q++) {
            const base = ((b * h + r) * w + q) * c;
            for (let d = 0; d < c; d++) dx[base + d] += g[d];
          }
        }
      }
    }
  }
  return out;
}

/** Kernel function for `tf.registerKernel`. */
export function avgPoolGradKernel(): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as unknown as { dy: Info; input: Info };
    return avgPoolGradImpl(backend, dy, input, attrs ?? {});
  };
}
