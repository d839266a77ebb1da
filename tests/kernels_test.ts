/**
 * Own kernels (lib/backend/kernels) against independent naive JS references and against the
 * stock cpu kernels, on the wasm and cpu backends; op gradients of the training step wasm vs cpu;
 * memory stays flat.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { KERNEL_FIXES, registerKernelFixes, restoreStockKernels } from "../lib/backend/kernels/mod.ts";
import { setConv2dFilterTapBudget } from "../lib/backend/kernels/conv2d_backprop_filter.ts";
import { relMaxError } from "../lib/testing/all_close.ts";

tf.env().set("PROD", true);
const TOL = 1e-5;
const BACKENDS = ["wasm", "cpu"] as const;

// ---------------------------------------------------------------- data and references

function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = lo + (hi - lo) * (s / 2 ** 32);
  }
  return a;
}

type Pad = number | "same" | "valid" | tf.backend_util.ExplicitPadding;

interface ConvCase {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  s: number;
  pad: Pad;
}

/** Naive conv2d gradients (float64 accumulation) for dy: dx and dw. */
function convGradRef(c: ConvCase, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const info = tf.backend_util.computeConv2DInfo(
    [c.n, c.h, c.w, c.ci],
    [c.k, c.k, c.ci, c.co],
    c.s,
    1,
    c.pad,
  );
  const { outHeight: ho, outWidth: wo } = info;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  const dx = new Float64Array(x.length), dw = new Float64Array(w.length);
  for (let b = 0; b < c.n; b++) {
    for (let oh = 0; oh < ho; oh++) {
      for (let ow = 0; ow < wo; ow++) {
        for (let o = 0; o < c.co; o++) {
          const g = dy[((b * ho + oh) * wo + ow) * c.co + o];
          for (let i = 0; i < c.k; i++) {
            const r = oh * c.s + i - pt;
            if (r < 0 || r >= c.h) continue;
            for (let j = 0; j < c.k; j++) {
              const q = ow * c.s + j - pl;
              if (q < 0 || q >= c.w) continue;
              for (let d = 0; d < c.ci; d++) {
                const xi = ((b * c.h + r) * c.w + q) * c.ci + d, wi = ((i * c.k + j) * c.ci + d) * c.co + o;
                dx[xi] += g * w[wi];
                dw[wi] += g * x[xi];
              }
            }
          }
        }
      }
    }
  }
  return { dx, dw, outShape: [c.n, ho, wo, c.co] };
}

/** Naive max-pool gradient: the first (row-major) strict maximum of each window, padding never wins. */
function maxPoolGradRef(shape: number[], x: Float32Array, dy: Float32Array, k: number, s: number, pad: Pad) {
  const [n, h, w, c] = shape;
  const info = tf.backend_util.computePool2DInfo([n, h, w, c], k, s, 1, pad);
  const { outHeight: ho, outWidth: wo } = info;
  const dx = new Float64Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < ho; oh++) {
      for (let ow = 0; ow < wo; ow++) {
        for (let d = 0; d < c; d++) {
          let best = -Infinity, at = -1;
          for (let i = 0; i < k; i++) {
            for (let j = 0; j < k; j++) {
              const r = oh * s + i - info.padInfo.top, q = ow * s + j - info.padInfo.left;
              if (r < 0 || r >= h || q < 0 || q >= w) continue;
              const idx = ((b * h + r) * w + q) * c + d;
              if (x[idx] > best) [best, at] = [x[idx], idx];
            }
          }
          if (at >= 0) dx[at] += dy[((b * ho + oh) * wo + ow) * c + d];
        }
      }
    }
  }
  return { dx, outShape: [n, ho, wo, c] };
}

/** Naive average-pool gradient (padding excluded from the count, as tfjs does). */
function avgPoolGradRef(shape: number[], dy: Float32Array, k: number, s: number, pad: Pad) {
  const [n, h, w, c] = shape;
  const info = tf.backend_util.computePool2DInfo([n, h, w, c], k, s, 1, pad);
  const { outHeight: ho, outWidth: wo } = info;
  const dx = new Float64Array(n * h * w * c);
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < ho; oh++) {
      for (let ow = 0; ow < wo; ow++) {
        const cells: number[] = [];
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) {
            const r = oh * s + i - info.padInfo.top, q = ow * s + j - info.padInfo.left;
            if (r >= 0 && r < h && q >= 0 && q < w) cells.push((b * h + r) * w + q);
          }
        }
        for (let d = 0; d < c; d++) {
          const g = dy[((b * ho + oh) * wo + ow) * c + d];
          for (const p of cells) dx[p * c + d] += g / cells.length;
        }
      }
    }
  }
  return { dx, outShape: [n, ho, wo, c] };
}

// ---------------------------------------------------------------- harness

async function onBackend<T>(name: string, f: () => T): Promise<T> {
  await tf.setBackend(name);
  await tf.ready();
  return f();
}

/** Runs f in a tidy on the backend and reads back its tensors. */
async function gradsOn(name: string, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  return await onBackend(name, () => {
    const ts = tf.tidy(f);
    const out = ts.map((t) => t.dataSync() as Float32Array);
    tf.dispose(ts);
    return out;
  });
}

function check(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol = TOL): void {
  const err = relMaxError(actual, expected);
  if (!(err <= tol)) throw new Error(`${label}: rel. max error ${err.toExponential(2)} > ${tol}`);
}

function convCases(): ConvCase[] {
  const out: ConvCase[] = [];
  for (const s of [1, 2]) {
    for (const k of [1, 3]) {
      for (const p of [0, Math.floor(k / 2)]) {
        for (const size of [7, 8]) {
          for (const n of [1, 2]) {
            for (const [ci, co] of [[3, 8], [8, 16]]) {
              const pad: Pad = (size + n) % 2 === 0 ? p : [[0, 0], [p, p], [p, p], [0, 0]];
              out.push({ n, h: size, w: size, ci, co, k, s, pad });
            }
          }
        }
      }
    }
  }
  // other padding forms, rectangular inputs, kernel larger than stride in one phase only
  out.push({ n: 2, h: 9, w: 6, ci: 4, co: 5, k: 3, s: 2, pad: "same" });
  out.push({ n: 1, h: 8, w: 10, ci: 4, co: 5, k: 3, s: 2, pad: "same" });
  out.push({ n: 1, h: 9, w: 7, ci: 3, co: 4, k: 3, s: 2, pad: "valid" });
  out.push({ n: 1, h: 8, w: 8, ci: 3, co: 4, k: 5, s: 1, pad: 2 });
  out.push({ n: 2, h: 11, w: 9, ci: 3, co: 4, k: 3, s: 3, pad: 1 });
  out.push({ n: 1, h: 6, w: 6, ci: 2, co: 3, k: 3, s: 1, pad: [[0, 0], [2, 0], [0, 1], [0, 0]] });
  out.push({ n: 1, h: 6, w: 7, ci: 2, co: 3, k: 2, s: 2, pad: [[0, 0], [1, 3], [0, 2], [0, 0]] });
  out.push({ n: 2, h: 2, w: 2, ci: 3, co: 2, k: 5, s: 1, pad: 2 }); // taps entirely in the padding
  out.push({ n: 1, h: 1, w: 1, ci: 2, co: 3, k: 3, s: 1, pad: "same" });
  out.push({ n: 1, h: 3, w: 3, ci: 2, co: 3, k: 1, s: 2, pad: 0 }); // 1x1 stride 2: phases without taps
  return out;
}

function padName(p: Pad): string {
  return typeof p === "object" ? `[${p[1]}|${p[2]}]` : String(p);
}

function convGradsFn(c: ConvCase, xv: Float32Array, wv: Float32Array, gv: Float32Array, outShape: number[]) {
  return () => {
    const x = tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]);
    const w = tf.tensor4d(wv, [c.k, c.k, c.ci, c.co]);
    const g = tf.tensor(gv, outShape);
    const f = (x: tf.Tensor, w: tf.Tensor) =>
      tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad as unknown as "same").mul(g).sum();
    return tf.grads(f)([x, w]);
  };
}

// ---------------------------------------------------------------- tests

for (const be of BACKENDS) await onBackend(be, () => registerKernelFixes(be));

Deno.test("registerKernelFixes is idempotent and returns the kernel names", async () => {
  for (const be of BACKENDS) {
    await tf.setBackend(be);
    const first = registerKernelFixes(be);
    const again = registerKernelFixes(be);
    if (JSON.stringify(first) !== JSON.stringify(again)) throw new Error(`${be}: ${first} vs ${again}`);
    if (first.join() !== Object.keys(KERNEL_FIXES[be]).join()) throw new Error(`${be}: got ${first}`);
    for (const k of first) if (!tf.getKernel(k, be)) throw new Error(`${be}: ${k} not registered`);
  }
  if (registerKernelFixes("webgl").length !== 0) throw new Error("webgl: expected no fixes");
});

Deno.test("conv2d gradients (x and filter) match the naive reference on wasm and cpu", async () => {
  const cases = convCases();
  for (const [ci, c] of cases.entries()) {
    const xv = rand(c.n * c.h * c.w * c.ci, 1 + ci), wv = rand(c.k * c.k * c.ci * c.co, 100 + ci);
    const outShape =
      tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.ci], [c.k, c.k, c.ci, c.co], c.s, 1, c.pad)
        .outShape;
    const gv = rand(tf.util.sizeFromShape(outShape), 200 + ci);
    const ref = convGradRef(c, xv, wv, gv);
    for (const be of BACKENDS) {
      const [dx, dw] = await gradsOn(be, convGradsFn(c, xv, wv, gv, outShape));
      const label = `${be} n${c.n} ${c.h}x${c.w} ${c.ci}->${c.co} k${c.k} s${c.s} pad ${padName(c.pad)}`;
      check(`${label} dx`, dx, ref.dx);
      check(`${label} dw`, dw, ref.dw);
    }
  }
});

Deno.test("conv2d filter gradient is the same when its taps are split over several matmuls", async () => {
  const prev = setConv2dFilterTapBudget(1);
  try {
    for (const [ci, c] of convCases().filter((c) => c.k > 1).slice(0, 12).entries()) {
      const xv = rand(c.n * c.h * c.w * c.ci, 300 + ci), wv = rand(c.k * c.k * c.ci * c.co, 400 + ci);
      const outShape =
        tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.ci], [c.k, c.k, c.ci, c.co], c.s, 1, c.pad)
          .outShape;
      const gv = rand(tf.util.sizeFromShape(outShape), 500 + ci);
      const ref = convGradRef(c, xv, wv, gv);
      for (const be of BACKENDS) {
        setConv2dFilterTapBudget(ci % 2 ? 1 : 2 * c.ci * c.n * outShape[1] * outShape[2]); // 1 or 2 taps per matmul
        const [, dw] = await gradsOn(be, convGradsFn(c, xv, wv, gv, outShape));
        check(`${be} split taps k${c.k} s${c.s} pad ${padName(c.pad)} dw`, dw, ref.dw);
      }
    }
  } finally {
    setConv2dFilterTapBudget(prev);
  }
});

Deno.test("the naive references agree with the stock cpu kernels (conv, maxPool, unpadded avgPool)", async () => {
  await tf.setBackend("cpu");
  restoreStockKernels("cpu");
  try {
    for (const [k, s, p] of [[2, 2, 0], [3, 2, 1], [5, 1, 2], [2, 1, 0]]) {
      const shape: [number, number, number, number] = [2, 7, 6, 3];
      const xv = rand(tf.util.sizeFromShape(shape), k * 10 + s, -2, -0.01).map((v) =>
        Math.round(v * 4) / 4 - 0.25
      ); // ties
      const infoMax = tf.backend_util.computePool2DInfo(shape, k, s, 1, p);
      const infoAvg = tf.backend_util.computePool2DInfo(shape, k, s, 1, 0);
      const gMax = rand(tf.util.sizeFromShape(infoMax.outShape), 5 + k);
      const gAvg = rand(tf.util.sizeFromShape(infoAvg.outShape), 6 + k);
      const [dmax, davg] = await gradsOn("cpu", () => {
        const x = tf.tensor4d(xv, shape),
          gm = tf.tensor(gMax, infoMax.outShape),
          ga = tf.tensor(gAvg, infoAvg.outShape);
        return [
          tf.grad((x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, k, s, p).mul(gm).sum())(x),
          tf.grad((x: tf.Tensor) => tf.avgPool(x as tf.Tensor4D, k, s, 0).mul(ga).sum())(x),
        ];
      });
      check(`stock cpu maxPool k${k} s${s} p${p}`, dmax, maxPoolGradRef(shape, xv, gMax, k, s, p).dx);
      check(`stock cpu avgPool k${k} s${s} p0`, davg, avgPoolGradRef(shape, gAvg, k, s, 0).dx);
    }
    for (const [ci, c] of convCases().filter((_, i) => i % 5 === 0).entries()) {
      const xv = rand(c.n * c.h * c.w * c.ci, 7 + ci), wv = rand(c.k * c.k * c.ci * c.co, 70 + ci);
      const outShape =
        tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.ci], [c.k, c.k, c.ci, c.co], c.s, 1, c.pad)
          .outShape;
      const gv = rand(tf.util.sizeFromShape(outShape), 700 + ci);
      const ref = convGradRef(c, xv, wv, gv);
      const [dx, dw] = await gradsOn("cpu", convGradsFn(c, xv, wv, gv, outShape));
      check(`stock cpu k${c.k} s${c.s} pad ${padName(c.pad)} dx`, dx, ref.dx);
      check(`stock cpu k${c.k} s${c.s} pad ${padName(c.pad)} dw`, dw, ref.dw);
    }
  } finally {
    registerKernelFixes("cpu");
  }
});

Deno.test("fused conv2d (bias + activation) gradients match on wasm and cpu", async () => {
  const c: ConvCase = { n: 2, h: 8, w: 8, ci: 3, co: 8, k: 3, s: 2, pad: 1 };
  const xv = rand(2 * 8 * 8 * 3, 11),
    wv = rand(9 * 3 * 8, 12),
    bv = rand(8, 13),
    gv = rand(2 * 4 * 4 * 8, 14);
  const res: Float32Array[][] = [];
  for (const be of BACKENDS) {
    res.push(
      await gradsOn(be, () => {
        const x = tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]),
          w = tf.tensor4d(wv, [3, 3, 3, 8]),
          b = tf.tensor1d(bv);
        const g = tf.tensor(gv, [2, 4, 4, 8]);
        const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
          tf.fused.conv2d({
            x: x as tf.Tensor4D,
            filter: w as tf.Tensor4D,
            strides: 2,
            pad: 1,
            bias: b,
            activation: "relu",
          }).mul(g).sum();
        return tf.grads(f)([x, w, b]);
      }),
    );
  }
  for (let i = 0; i < 3; i++) check(`fused conv2d grad ${i}`, res[0][i], res[1][i]);
});

Deno.test("maxPool gradients match the naive reference (k2s2 k2s1 k3s1 k3s2 k5s1, padded)", async () => {
  let seed = 0;
  for (const [k, s, p] of [[2, 2, 0], [2, 1, 0], [3, 1, 1], [3, 2, 1], [3, 2, 0], [3, 1, 0], [5, 1, 2]]) {
    for (const size of [7, 8]) {
      for (const n of [1, 2]) {
        seed++;
        const shape: [number, number, number, number] = [n, size, size + 1, 6];
        // all-negative inputs: a zero-padded pool would pick the padding; for n = 2, values on a coarse
        // grid, so that windows have tied maxima (the gradient goes to the first, as in PyTorch)
        const xv = rand(tf.util.sizeFromShape(shape), seed, -2, -0.01).map((v) =>
          n === 2 ? Math.round(v * 4) / 4 - 0.25 : v
        );
        const pad: Pad = seed % 2 ? p : [[0, 0], [p, p], [p, p], [0, 0]];
        const info = tf.backend_util.computePool2DInfo(shape, k, s, 1, pad);
        const gv = rand(tf.util.sizeFromShape(info.outShape), 50 + seed);
        const ref = maxPoolGradRef(shape, xv, gv, k, s, pad);
        for (const be of BACKENDS) {
          const [y, dx] = await gradsOn(be, () => {
            const x = tf.tensor(xv, shape) as tf.Tensor4D;
            const g = tf.tensor(gv, info.outShape);
            const f = (x: tf.Tensor) =>
              tf.maxPool(x as tf.Tensor4D, k, s, pad as unknown as "same").mul(g).sum();
            return [tf.maxPool(x, k, s, pad as unknown as "same"), tf.grad(f)(x)];
          });
          if (!y.every((v) => v < 0)) {
            throw new Error(`${be} maxPool k${k}s${s}p${p}: padding won in the forward`);
          }
          check(`${be} maxPool k${k} s${s} pad ${padName(pad)} n${n} ${size}`, dx, ref.dx);
        }
      }
    }
  }
});

// With padding, tfjs's avgPool forward leaves the padding out of the count, while the stock
// gradients (cpu and wasm alike) divide by the full window: the own kernel follows the forward.
Deno.test("avgPool gradients match the naive reference (k2s1p0 as in ADown/AConv, padded too)", async () => {
  let seed = 0;
  for (const [k, s, p] of [[2, 1, 0], [2, 2, 0], [3, 1, 0], [3, 2, 0], [3, 1, 1], [3, 2, 1]]) {
    for (const n of [1, 2]) {
      seed++;
      const shape: [number, number, number, number] = [n, 9, 8, 5];
      const info = tf.backend_util.computePool2DInfo(shape, k, s, 1, p);
      const gv = rand(tf.util.sizeFromShape(info.outShape), 90 + seed);
      const ref = avgPoolGradRef(shape, gv, k, s, p);
      for (const be of BACKENDS) {
        const [dx] = await gradsOn(be, () => {
          const x = tf.tensor(rand(tf.util.sizeFromShape(shape), seed), shape) as tf.Tensor4D;
          const g = tf.tensor(gv, info.outShape);
          return [tf.grad((x: tf.Tensor) => tf.avgPool(x as tf.Tensor4D, k, s, p).mul(g).sum())(x)];
        });
        check(`${be} avgPool k${k} s${s} p${p} n${n}`, dx, ref.dx);
      }
    }
  }
});

Deno.test("resizeNearestNeighbor gradients scatter to the forward's source pixels (batch 1, 2)", async () => {
  for (const n of [1, 2]) {
    for (
      const [alignCorners, halfPixel, h, w, oh, ow] of [
        [false, false, 4, 5, 8, 10], // the YOLO case: 2x, PyTorch 'nearest'
        [false, true, 4, 5, 8, 10],
        [true, false, 4, 5, 8, 10],
        [false, true, 5, 3, 7, 8],
        [false, false, 6, 6, 4, 3],
      ] as [boolean, boolean, number, number, number, number][]
    ) {
      const c = 3;
      const gv = rand(n * oh * ow * c, 30 + n);
      for (const be of BACKENDS) {
        const [src, dx] = await gradsOn(be, () => {
          // source map from the backend's own forward: resize an image of pixel indices
          const idx = tf.tensor(Float32Array.from({ length: n * h * w * c }, (_, i) => i), [
            n,
            h,
            w,
            c,
          ]) as tf.Tensor4D;
          const x = tf.tensor(rand(n * h * w * c, 3), [n, h, w, c]) as tf.Tensor4D;
          const g = tf.tensor(gv, [n, oh, ow, c]);
          const f = (x: tf.Tensor) =>
            tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [oh, ow], alignCorners, halfPixel).mul(g).sum();
          return [tf.image.resizeNearestNeighbor(idx, [oh, ow], alignCorners, halfPixel), tf.grad(f)(x)];
        });
        const ref = new Float64Array(n * h * w * c);
        src.forEach((s, i) => (ref[s] += gv[i]));
        check(
          `${be} resizeNN grad n${n} ${h}x${w}->${oh}x${ow} align ${alignCorners} half ${halfPixel}`,
          dx,
          ref,
        );
      }
    }
  }
});

Deno.test("gather gradient (UnsortedSegmentSum) matches on wasm and cpu", async () => {
  const xv = rand(6 * 4 * 3, 5), gv = rand(5 * 4 * 3, 6);
  const res: Float32Array[][] = [];
  for (const be of BACKENDS) {
    res.push(
      await gradsOn(be, () => {
        const x = tf.tensor3d(xv, [6, 4, 3]);
        const idx = tf.tensor1d([0, 2, 2, 5, 1], "int32");
        const idx1 = tf.tensor1d([3, 0, 3], "int32");
        const g0 = tf.tensor(gv, [5, 4, 3]), g1 = tf.tensor(gv.slice(0, 6 * 3 * 3), [6, 3, 3]);
        const f = (x: tf.Tensor) => tf.gather(x, idx).mul(g0).sum().add(tf.gather(x, idx1, 1).mul(g1).sum());
        const direct = tf.unsortedSegmentSum(
          tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]),
          tf.tensor1d([2, 0, 2], "int32"),
          4,
        );
        return [tf.grad(f)(x), direct];
      }),
    );
  }
  const ref0 = new Float64Array(6 * 4 * 3);
  [0, 2, 2, 5, 1].forEach((r, i) => {
    for (let k = 0; k < 12; k++) ref0[r * 12 + k] += gv[i * 12 + k];
  });
  for (let a = 0; a < 6; a++) {
    [3, 0, 3].forEach((col, i) => {
      for (let d = 0; d < 3; d++) ref0[(a * 4 + col) * 3 + d] += gv[(a * 3 + i) * 3 + d];
    });
  }
  for (const [i, be] of BACKENDS.entries()) {
    check(`${be} gather grad`, res[i][0], ref0);
    check(`${be} unsortedSegmentSum`, res[i][1], [3, 4, 0, 0, 6, 8, 0, 0]);
  }
});

Deno.test("gradients of the training step's other ops agree between wasm and cpu", async () => {
  const shape = [2, 5, 6, 4];
  const size = 2 * 5 * 6 * 4;
  const av = rand(size, 1), bv = rand(size, 2), pv = rand(size, 3, 0.1, 2);
  const mask = Float32Array.from(rand(size, 4), (v) => (v > 0 ? 1 : 0));
  type F = (a: tf.Tensor, b: tf.Tensor, p: tf.Tensor, m: tf.Tensor) => tf.Tensor;
  const fns: Record<string, F> = {
    "moments/batchnorm": (a, b) => {
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      return a.sub(mean).div(variance.add(1e-3).sqrt()).mul(b);
    },
    "sigmoid/silu": (a, b) => a.mul(tf.sigmoid(a)).mul(b),
    "mul/add/sub/neg": (a, b) => a.mul(b).add(a).sub(b.mul(2)).neg(),
    "concat/split": (a, b) => {
      const [u, v] = tf.split(tf.concat([a, b], 3), [3, 5], 3);
      return u.sum().add(v.mul(v).sum());
    },
    "slice": (a, b) => a.slice([0, 1, 0, 1], [2, 3, 5, 2]).mul(b.slice([0, 0, 1, 0], [2, 3, 5, 2])),
    "reshape/tile": (a, b) =>
      tf.tile(a.reshape([2, 30, 4]), [1, 2, 1]).mul(tf.tile(b.reshape([2, 30, 4]), [1, 2, 1])),
    "softmax/log/exp": (a, b) =>
      tf.log(tf.softmax(a.reshape([60, 4]))).mul(b.reshape([60, 4])).add(tf.exp(a).mean()),
    "sum/mean axes": (a, b) => a.sum([1, 2]).mul(b.mean([1, 2])),
    "clipByValue/abs": (a, b) => tf.clipByValue(a, -0.5, 0.4).mul(b).add(tf.abs(a.sub(b))),
    "atan/pow/sqrt": (a, b, p) => tf.atan(a.div(p)).mul(b).add(tf.pow(p, 1.7)).add(tf.sqrt(p).mul(b)),
    "minimum/maximum": (a, b) => tf.minimum(a, b).add(tf.maximum(a, b.mul(0.5)).mul(a)),
    "where/square": (a, b, _p, m) => tf.where(m.cast("bool"), tf.square(a), b.mul(a)),
    "max/logSoftmax": (a, b) => a.max(3).mul(b.sum(3)).sum().add(tf.logSoftmax(b.mul(a)).sum()),
    "sigmoidCrossEntropy/relu/log1p/softplus": (a, b, _p, m) =>
      tf.losses.sigmoidCrossEntropy(m, a.mul(3)).add(tf.relu(a).mul(b).sum()).add(
        tf.log1p(tf.softplus(b)).sum(),
      ),
    "transpose/pad/stack/unstack": (a, b) => {
      const u = tf.unstack(tf.transpose(a, [0, 3, 1, 2]), 1);
      return tf.stack([u[0], u[3]], 3).mul(
        tf.pad(b.slice([0, 0, 0, 0], [2, 4, 5, 2]), [[0, 0], [1, 0], [0, 1], [0, 0]]),
      );
    },
    "matMul/broadcast/expandDims": (a, b) =>
      tf.matMul(a.reshape([60, 4]), b.reshape([60, 4]), false, true).mean().add(
        a.add(b.mean([0, 1, 2])).sum(),
      )
        .add(tf.expandDims(b.sum([0, 1, 2]), 0).mul(a.sum([0, 1, 2])).sum()),
    "div/reciprocal/rsqrt/cumsum": (a, b, p) =>
      a.div(p).add(tf.reciprocal(p).mul(b)).add(tf.rsqrt(p)).add(tf.cumsum(a, 3)),
  };
  for (const [name, fn] of Object.entries(fns)) {
    const res: Float32Array[][] = [];
    for (const be of BACKENDS) {
      res.push(
        await gradsOn(be, () => {
          const a = tf.tensor(av, shape),
            b = tf.tensor(bv, shape),
            p = tf.tensor(pv, shape),
            m = tf.tensor(mask, shape);
          return tf.grads((a: tf.Tensor, b: tf.Tensor, p: tf.Tensor) => fn(a, b, p, m).sum().add(p.sum()))([
            a,
            b,
            p,
          ]);
        }),
      );
    }
    for (let i = 0; i < 3; i++) check(`${name} d${"abp"[i]} wasm vs cpu`, res[0][i], res[1][i], 1e-5);
  }
});

Deno.test("a small YOLO-like network has the same parameter gradients on wasm and cpu", async () => {
  // stem conv s2 + BN(batch moments) + SiLU, ADown (avgPool k2s1, split, conv s2 | maxPool k3s2p1 + conv 1x1),
  // SPPF-like maxPool k5s1p2 chain, 2x nearest upsampling (reshape form and resizeNearestNeighbor), concat, head
  // with BCE + softmax/log (DFL-like) loss.
  const shapes: Record<string, number[]> = {
    w0: [3, 3, 3, 8],
    w1: [3, 3, 4, 6],
    w2: [1, 1, 4, 6],
    w3: [1, 1, 12, 8],
    w4: [3, 3, 8 + 12, 10],
    g0: [8],
    b0: [8],
  };
  const init = Object.fromEntries(
    Object.entries(shapes).map(([k, sh], i) => [k, rand(tf.util.sizeFromShape(sh), 40 + i, -0.5, 0.5)]),
  );
  const imgv = rand(2 * 16 * 16 * 3, 9, 0, 1);
  const tgt = Float32Array.from(rand(2 * 8 * 8 * 10, 10), (v) => (v > 0.3 ? 1 : 0));
  const pad = (p: number): tf.backend_util.ExplicitPadding => [[0, 0], [p, p], [p, p], [0, 0]];
  const silu = (t: tf.Tensor) => t.mul(tf.sigmoid(t));
  const res: Float32Array[][] = [];
  for (const be of BACKENDS) {
    res.push(
      await gradsOn(be, () => {
        const vs = Object.keys(shapes).map((k) => tf.tensor(init[k], shapes[k]));
        const img = tf.tensor4d(imgv, [2, 16, 16, 3]), target = tf.tensor(tgt, [2, 8, 8, 10]);
        const f = (...p: tf.Tensor[]) => {
          const [w0, w1, w2, w3, w4, g0, b0] = p as tf.Tensor4D[];
          let x = tf.conv2d(img, w0, 2, pad(1)); // [2,8,8,8]
          const { mean, variance } = tf.moments(x, [0, 1, 2]);
          x = silu(x.sub(mean).div(variance.add(1e-3).sqrt()).mul(g0).add(b0)) as tf.Tensor4D;
          const [a, b] = tf.split(tf.avgPool(x, 2, 1, 0), 2, 3); // [2,7,7,4] x2
          const d = tf.concat([
            silu(tf.conv2d(a as tf.Tensor4D, w1, 2, pad(1))),
            silu(tf.conv2d(tf.maxPool(b as tf.Tensor4D, 3, 2, pad(1)), w2, 1, 0)),
          ], 3) as tf.Tensor4D; // [2,4,4,12]
          const m1 = tf.maxPool(d, 5, 1, 2), m2 = tf.maxPool(m1, 5, 1, 2);
          const s = silu(tf.conv2d(d.add(m1).add(m2), w3, 1, 0)); // [2,4,4,8]
          const up1 = s.reshape([2, 4, 1, 4, 1, 8]).mul(tf.ones([1, 1, 2, 1, 2, 1])).reshape([2, 8, 8, 8]);
          const up2 = tf.image.resizeNearestNeighbor(d as tf.Tensor4D, [8, 8]);
          const y = tf.conv2d(tf.concat([up1, up2], 3) as tf.Tensor4D, w4, 1, pad(1)); // [2,8,8,10]
          const bce = tf.losses.sigmoidCrossEntropy(target, y);
          const dfl = tf.log(tf.softmax(y.reshape([128, 10])).add(1e-9)).mul(target.reshape([128, 10])).mean()
            .neg();
          return bce.add(dfl);
        };
        return tf.grads(f)(vs);
      }),
    );
  }
  Object.keys(shapes).forEach((k, i) => check(`grad ${k} wasm vs cpu`, res[0][i], res[1][i], 2e-5));
});

Deno.test("repeated gradient calls leak no tensors and no backend buffers", async () => {
  for (const be of BACKENDS) {
    await onBackend(be, () => {
      const x = tf.tensor4d(rand(2 * 9 * 8 * 4, 1), [2, 9, 8, 4]);
      const w = tf.tensor4d(rand(9 * 4 * 6, 2), [3, 3, 4, 6]);
      const idx = tf.tensor1d([0, 3, 1], "int32");
      const step = () =>
        tf.tidy(() => {
          const f = (x: tf.Tensor, w: tf.Tensor) => {
            const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 1);
            const z = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]);
            const p = tf.maxPool(z, 3, 2, 1).add(tf.maxPool(y, 5, 1, 2));
            const r = tf.image.resizeNearestNeighbor(y, [10, 8]);
            const pw = tf.conv2d(x as tf.Tensor4D, w.slice([1, 1, 0, 0], [1, 1, 4, 6]) as tf.Tensor4D, 1, 0); // 1x1 path
            const v = tf.avgPool(z, 2, 1, 0).sum().add(tf.avgPool(z, 3, 2, 1).mean()).add(pw.mean());
            return p.sum().add(r.mean()).add(tf.gather(z, idx, 1).sum()).add(v);
          };
          const [dx, dw] = tf.grads(f)([x, w]);
          return dx.sum().add(dw.sum()).dataSync()[0];
        });
      const backend = tf.engine().backend as unknown as { numDataIds(): number };
      step();
      const tensors = tf.memory().numTensors, ids = backend.numDataIds();
      for (let i = 0; i < 3; i++) step();
      if (tf.memory().numTensors !== tensors) {
        throw new Error(`${be}: numTensors ${tensors} -> ${tf.memory().numTensors}`);
      }
      if (backend.numDataIds() !== ids) {
        throw new Error(`${be}: backend buffers ${ids} -> ${backend.numDataIds()}`);
      }
      tf.dispose([x, w, idx]);
    });
  }
});
