// Every native kernel against tfjs' stock cpu backend on the same inputs: forward values and
// gradients (through tf.grads, so the native Conv2DBackprop*, pool gradients, reductions and
// broadcasting of the gradient graph are exercised too). Skips with the reason when the shim is
// not built (scripts/setup_native.sh).
import * as tf from "@tensorflow/tfjs";
import { ok } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { registerNativeBackend } from "../lib/backend/native/mod.ts";
import { relMaxError } from "../lib/testing/all_close.ts";

const status = registerNativeBackend();
if (!status.ok) console.log(`native kernel tests skipped: ${status.reason}`);

type Fn = (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

let seed = 7;
function rand(n: number, lo = -1, hi = 1, state?: { seed: number }): Float32Array {
  const st = state ?? {
    get seed() {
      return seed;
    },
    set seed(v: number) {
      seed = v;
    },
  };
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    st.seed = (st.seed * 1103515245 + 12345) % 2147483648;
    v[i] = lo + (hi - lo) * (st.seed / 2147483648);
  }
  return v;
}

/** Values of f (and of its gradients w.r.t. every input, with a fixed random probe) on one backend. */
async function evaluate(
  backend: string,
  f: Fn,
  data: [number[], Float32Array][],
  grads: boolean,
): Promise<Float32Array[]> {
  await initBackend(backend, { quiet: true });
  return tf.tidy(() => {
    const xs = data.map(([shape, v]) => tf.tensor(v, shape));
    const outs = [f(...xs)].flat();
    const res = outs.map((y) => y.dataSync() as Float32Array);
    if (grads) {
      const st = { seed: 99 }; // the same probes on both backends
      const probes = outs.map((y, i) => tf.tensor(rand(y.size, -1, 1, st), y.shape).add(i));
      const g = tf.grads((...a: tf.Tensor[]) =>
        tf.addN([f(...a)].flat().map((y, i) => tf.sum(tf.mul(y, probes[i])))) as tf.Scalar
      )(xs);
      res.push(...g.map((t) => t.dataSync() as Float32Array));
    }
    return res;
  });
}

async function compare(
  label: string,
  f: Fn,
  shapes: number[][],
  opts: { grads?: boolean; tol?: number; lo?: number; levels?: number } = {},
) {
  // `levels`: values rounded to multiples of 1 / levels, so that ties are common (e.g. max pooling's).
  const q = (v: Float32Array) => opts.levels ? v.map((x) => Math.round(x * opts.levels!) / opts.levels!) : v;
  const data = shapes.map((s) =>
    [s, q(rand(tf.util.sizeFromShape(s), opts.lo ?? -1, 1))] as [number[], Float32Array]
  );
  const ref = await evaluate("cpu", f, data, opts.grads ?? true);
  const got = await evaluate("native", f, data, opts.grads ?? true);
  ref.forEach((r, i) => {
    const err = relMaxError(got[i], r);
    ok(err <= (opts.tol ?? 2e-6), `${label}: output ${i} differs from cpu by ${err}`);
  });
}

const t4 = (x: tf.Tensor) => x as tf.Tensor4D;

Deno.test({
  name: "native convolutions equal cpu (forward, fused, both gradients)",
  ignore: !status.ok,
  fn: async () => {
    const cases: [number[], number[], number, number | "same" | "valid", number][] = [
      [[1, 9, 7, 3], [3, 3, 3, 5], 1, 1, 1],
      [[2, 8, 8, 4], [3, 3, 4, 6], 2, 1, 1],
      [[2, 7, 9, 4], [1, 1, 4, 3], 1, 0, 1],
      [[1, 10, 10, 2], [5, 5, 2, 3], 1, "same", 1],
      [[1, 11, 9, 3], [3, 3, 3, 2], 2, "same", 1],
      [[1, 9, 9, 2], [3, 3, 2, 2], 2, "valid", 1],
      [[1, 12, 12, 2], [3, 3, 2, 4], 1, 2, 2],
      [[3, 6, 6, 8], [3, 3, 8, 8], 1, 1, 1],
    ];
    for (const [xs, ws, s, pad, d] of cases) {
      const label = `conv x${xs} w${ws} s${s} pad ${pad} d${d}`;
      await compare(label, (x, w) => tf.conv2d(t4(x), t4(w), s, pad, "NHWC", d), [xs, ws], {
        grads: d === 1,
        tol: 1e-5,
      });
    }
    for (const act of ["linear", "relu", "sigmoid", "leakyrelu", "elu", "relu6"] as tf.fused.Activation[]) {
      await compare(
        `fused conv + bias + ${act}`,
        (x, w, b) =>
          tf.fused.conv2d({
            x: t4(x),
            filter: t4(w),
            strides: 1,
            pad: 1,
            bias: b,
            activation: act,
            leakyreluAlpha: 0.1,
          }),
        [[2, 6, 5, 3], [3, 3, 3, 4], [4]],
        { grads: false, tol: 1e-5 },
      );
    }
    // SiLU (swish) is an extra activation of the native FusedConv2D: compare with x * sigmoid(x) on cpu.
    const data = [[1, 6, 6, 3], [3, 3, 3, 4], [4]].map((s) =>
      [s, rand(tf.util.sizeFromShape(s))] as [number[], Float32Array]
    );
    const ref = await evaluate(
      "cpu",
      (x, w, b) => {
        const y = tf.add(tf.conv2d(t4(x), t4(w), 1, 1), b);
        return tf.mul(y, tf.sigmoid(y));
      },
      data,
      false,
    );
    const got = await evaluate(
      "native",
      (x, w, b) =>
        tf.fused.conv2d({
          x: t4(x),
          filter: t4(w),
          strides: 1,
          pad: 1,
          bias: b,
          activation: "silu" as tf.fused.Activation,
        }),
      data,
      false,
    );
    ok(relMaxError(got[0], ref[0]) < 1e-5, `fused conv + silu differs by ${relMaxError(got[0], ref[0])}`);
  },
});

Deno.test({
  name: "native elementwise ops equal cpu, with broadcasting and gradients",
  ignore: !status.ok,
  fn: async () => {
    const pairs: [number[], number[]][] = [
      [[2, 3, 4, 5], [2, 3, 4, 5]],
      [[2, 3, 4, 5], [5]],
      [[2, 3, 4, 5], [2, 1, 4, 1]],
      [[1], [2, 3]],
      [[2, 1, 3], [1, 4, 1]],
      [[], [3, 2]],
      [[2, 3, 1, 4, 1, 5], [1, 1, 2, 1, 3, 1]],
      [[6, 70, 90], [6, 1, 90]],
    ];
    const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
      ["add", tf.add],
      ["sub", tf.sub],
      ["mul", tf.mul],
      ["div", (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
      ["maximum", tf.maximum],
      ["minimum", tf.minimum],
      ["squaredDifference", tf.squaredDifference],
    ];
    for (const [sa, sb] of pairs) {
      for (const [name, op] of ops) {
        // tfjs' own gradients of maximum, minimum and squaredDifference do not reduce broadcast axes.
        const grads = ["add", "sub", "mul", "div"].includes(name) || sa.join() === sb.join();
        await compare(`${name} [${sa}] [${sb}]`, op, [sa, sb], { tol: 1e-6, grads });
      }
    }
    await compare("addN", (a, b, c) => tf.addN([a, b, c]), [[3, 70, 200], [3, 70, 200], [3, 70, 200]]);
    const unary: [string, (x: tf.Tensor) => tf.Tensor, number?][] = [
      ["neg", tf.neg],
      ["exp", (x) => tf.exp(tf.mul(x, 20))],
      ["log", (x) => tf.log(tf.add(tf.abs(x), 0.1))],
      ["sqrt", (x) => tf.sqrt(tf.abs(x))],
      ["rsqrt", (x) => tf.rsqrt(tf.add(tf.abs(x), 0.1))],
      ["sigmoid", (x) => tf.sigmoid(tf.mul(x, 30))],
      ["relu", tf.relu],
      ["abs", tf.abs],
      ["square", tf.square],
      ["reciprocal", (x) => tf.reciprocal(tf.add(tf.abs(x), 0.1))],
      ["leakyRelu", (x) => tf.leakyRelu(x, 0.1)],
      ["elu", tf.elu],
      ["relu6", (x) => tf.relu6(tf.mul(x, 8))],
      ["tanh", tf.tanh],
      ["softplus", (x) => tf.softplus(tf.mul(x, 30))],
      ["log1p", (x) => tf.log1p(tf.abs(x))],
      ["step", (x) => tf.step(x, 0.3)],
    ];
    for (const [name, op] of unary) await compare(name, op, [[3, 50, 300]], { tol: 2e-6 });
  },
});

Deno.test({
  name: "native reductions, layout ops and matmul equal cpu",
  ignore: !status.ok,
  fn: async () => {
    const axesCases: (number | number[] | undefined)[] = [
      undefined,
      0,
      3,
      [0, 1, 2],
      [1, 2],
      [0, 2],
      [1, 3],
      [0, 2, 3],
    ];
    for (const axis of axesCases) {
      for (const keep of [false, true]) {
        const label = `axis ${JSON.stringify(axis)} keepDims ${keep}`;
        await compare(`sum ${label}`, (x) => tf.sum(x, axis, keep), [[3, 20, 30, 7]], { tol: 1e-6 });
        await compare(`mean ${label}`, (x) => tf.mean(x, axis, keep), [[3, 20, 30, 7]], { tol: 1e-6 });
        await compare(`max ${label}`, (x) => tf.max(x, axis, keep), [[3, 4, 5, 7]], { grads: false });
        await compare(`min ${label}`, (x) => tf.min(x, axis, keep), [[3, 4, 5, 7]], { grads: false });
      }
    }
    // The gradient of a nearest 2x upsample ([N, H, 2, W, 2, C] summed over axes 2 and 4).
    await compare("sum upsample-gradient axes [4, 2]", (x) => tf.sum(x, [4, 2]), [[2, 3, 2, 4, 2, 5]], { tol: 1e-6 });
    await compare("softmax", (x) => tf.softmax(tf.mul(x, 10)), [[3, 7, 16]], { tol: 1e-6 });
    await compare("prod", (x) => tf.prod(x, 1), [[3, 4, 5]], { grads: false, tol: 1e-6 });
    await compare("moments [0,1,2]", (x) => Object.values(tf.moments(x, [0, 1, 2])), [[4, 60, 60, 16]], {
      tol: 1e-6,
    });
    await compare("slice non-contiguous", (x) => tf.slice(x, [0, 10, 2], [2, 100, 64]), [[2, 128, 144]]);
    await compare("slice contiguous", (x) => tf.slice(x, [1, 0, 0], [1, 128, 144]), [[2, 128, 144]]);
    await compare("split", (x) => tf.split(x, [3, 5, 8], 3), [[2, 5, 6, 16]]);
    await compare("concat axis 3", (a, b, c) => tf.concat([a, b, c], 3), [[2, 5, 6, 3], [2, 5, 6, 1], [
      2,
      5,
      6,
      8,
    ]]);
    await compare("concat axis 1", (a, b) => tf.concat([a, b], 1), [[2, 5, 6], [2, 3, 6]]);
    await compare("concat contiguous runs", (a, b, c) => tf.concat([a, b, c], 1), [[1, 7, 3], [1, 1, 3], [1, 4, 3]]);
    await compare("concat int32 flat", (a, b) => tf.concat([tf.cast(a, "int32"), tf.cast(b, "int32")]), [[5], [9]]);
    await compare("transpose", (x) => tf.transpose(x, [0, 3, 1, 2]), [[2, 5, 6, 7]]);
    await compare("transpose 2d", (x) => tf.transpose(x), [[50, 70]]);
    await compare("pad", (x) => tf.pad(x, [[0, 0], [1, 2], [3, 0], [0, 1]], 0.5), [[2, 5, 6, 3]]);
    await compare("matmul", (a, b) => tf.matMul(a, b), [[5, 7], [7, 3]], { tol: 1e-6 });
    await compare("matmul transposes", (a, b) => tf.matMul(a, b, true, true), [[4, 7, 5], [4, 3, 7]], {
      tol: 1e-6,
    });
    await compare("matmul batch broadcast", (a, b) => tf.matMul(a, b), [[3, 6, 8], [8, 5]], {
      tol: 1e-6,
      grads: false,
    });
    await compare("fused matmul", (a, b, c) => tf.fused.matMul({ a, b, bias: c, activation: "relu" }), [
      [6, 8],
      [8, 5],
      [5],
    ], {
      grads: false,
      tol: 1e-6,
    });
  },
});

Deno.test({
  name: "native pooling equals cpu (forward and gradients)",
  ignore: !status.ok,
  fn: async () => {
    const cases: [number[], number, number, number | "same" | "valid"][] = [
      [[2, 8, 8, 3], 2, 1, "valid"],
      [[2, 9, 7, 3], 3, 2, 1],
      [[1, 10, 10, 4], 5, 1, 2],
      [[2, 7, 7, 2], 2, 2, "valid"],
      [[1, 9, 9, 2], 3, 2, "same"],
    ];
    for (const [xs, k, s, pad] of cases) {
      await compare(`maxPool ${xs} k${k} s${s} ${pad}`, (x) => tf.maxPool(t4(x), k, s, pad), [xs]);
      await compare(`avgPool ${xs} k${k} s${s} ${pad}`, (x) => tf.avgPool(t4(x), k, s, pad), [xs]);
    }
    // Ties (values on a grid of 0.25): the gradient goes to the first maximum in row-major order.
    for (const [xs, k, s, pad] of [[[2, 10, 10, 19], 5, 1, 2], [[1, 9, 9, 3], 3, 2, "same"]] as const) {
      const f = (x: tf.Tensor) => tf.maxPool(t4(x), k, s, pad);
      await compare(`maxPool with ties ${xs} k${k} s${s} ${pad}`, f, [[...xs]], { levels: 4 });
    }
  },
});

Deno.test({
  name: "native backend falls back to the stock kernels for int32",
  ignore: !status.ok,
  fn: async () => {
    await initBackend("native", { quiet: true });
    const y = tf.add(tf.tensor([1, 2, 3], [3], "int32"), tf.tensor([10], [1], "int32"));
    ok(
      y.dtype === "int32" && y.dataSync().join() === "11,12,13",
      `int32 add gave ${y.dtype} ${y.dataSync()}`,
    );
    y.dispose();
  },
});
