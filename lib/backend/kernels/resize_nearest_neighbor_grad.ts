/**
 * `ResizeNearestNeighborGrad` in plain JS: the stock cpu kernel reads dy at the image's batch offset
 * (wrong for batch > 1) and ignores `halfPixelCenters`; the stock wasm one is wrong with
 * `halfPixelCenters` when the size ratio is not an integer.
 *
 * Each dy pixel is added to the source pixel the forward kernel copied it from (same index
 * formula as the cpu forward kernel, with alignCorners and halfPixelCenters).
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { allocZeros, type Info, values } from "./util.ts";

/** Source index of output index `o` along one axis, as in the forward resizeNearestNeighbor. */
function sourceIndex(
  o: number,
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  halfPixel: boolean,
): number {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const ratio = effIn / effOut;
  const frac = halfPixel ? ratio * (o + 0.5) : ratio * o;
  let s = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
  if (halfPixel) s = Math.max(0, s);
  return s;
}

/** Nearest-neighbour resize gradient (TensorInfo level). */
export function resizeNearestNeighborGradImpl(
  backend: unknown,
  dy: Info,
  images: Info,
  attrs: tf.NamedAttrMap,
): Info {
  const { alignCorners = false, halfPixelCenters = false } = attrs as unknown as
    & tf.ResizeNearestNeighborGradAttrs
    & {
      halfPixelCenters?: boolean;
    };
  const [n, h, w, c] = images.shape;
  const [dn, oh, ow, dc] = dy.shape;
  if (dn !== n || dc !== c) {
    throw new Error(
      `ResizeNearestNeighborGrad: dy shape [${dy.shape}] does not match images [${images.shape}]`,
    );
  }
  const rowSrc = Int32Array.from(
    { length: oh },
    (_, r) => sourceIndex(r, h, oh, alignCorners, halfPixelCenters),
  );
  const colSrc = Int32Array.from(
    { length: ow },
    (_, q) => sourceIndex(q, w, ow, alignCorners, halfPixelCenters),
  );
  const out = allocZeros(backend, [n, h, w, c]);
  const dyv = values(backend, dy) as Float32Array;
  const dx = values(backend, out) as Float32Array;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const srcRow = (b * h + rowSrc[r]) * w;
      for (let q = 0; q < ow; q++) {
        const s = (srcRow + colSrc[q]) * c;
        const d = ((b * oh + r) * ow + q) * c;
        for (let k = 0; k < c; k++) dx[s + k] += dyv[d + k];
      }
    }
  }
  return out;
}

/** Kernel function for `tf.registerKernel`. */
export function resizeNearestNeighborGradKernel(): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, images } = inputs as unknown as { dy: Info; images: Info };
    return resizeNearestNeighborGradImpl(backend, dy, images, attrs ?? {});
  };
}
