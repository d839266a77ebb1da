// The native backend's fused model ops against the composite tfjs formulas of lib/nn/tensor_ops.ts
// run on the stock cpu backend: BatchNorm (train and eval) + activation with all gradients, the
// activation alone, and conv + bias + activation, reached through the backend port (lib/backend/port.ts)
// that initBackend plugs. Skips with the reason when the shim is not built.
import * as tf from "@tensorflow/tfjs";
import { equal, ok } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { registerNativeBackend } from "../lib/backend/native/mod.ts";
import { fusedAct, fusedBatchNormAct, fusedConvBiasAct } from "../lib/backend/port.ts";
import { TensorOps } from "../lib/nn/tensor_ops.ts";
import { relMaxError } from "../lib/testing/all_close.ts";

const status = registerNativeBackend();
if (!status.ok) console.log(`native fused-op tests skipped: ${status.reason}`);

const EPS = 1e-3;
const ACTS = ["silu", "relu", "none"] as const;

function act(x: tf.Tensor, a: string): tf.Tensor {
  return a === "silu" ? tf.mul(x, tf.sigmoid(x)) : a === "relu" ? tf.relu(x) : x;
}

/** The composite BatchNorm + act of TensorOps (training: batch statistics). */
function composite(
  x: tf.Tensor,
  g: tf.Tensor,
  b: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  a: string,
  training: boolean,
): tf.Tensor[] {
  if (training) {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const scale = tf.mul(g, tf.rsqrt(tf.add(variance, EPS)));
    return [act(tf.add(tf.mul(tf.sub(x, mean), scale), b), a), mean, variance];
  }
  const scale = tf.mul(g, tf.rsqrt(tf.add(v, EPS)));
  return [act(tf.add(tf.mul(tf.sub(x, m), scale), b), a)];
}

function data(shape: number[], seed: number, lo = -2, hi = 2): tf.Tensor {
  return tf.randomUniform(shape, lo, hi, "float32", seed);
}

/** Values and gradients (w.r.t. every input, through output 0 with a fixed probe) on one backend. */
async function run(
  backend: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor[],
  shapes: number[][],
  differentiable = shapes.length,
): Promise<Float32Array[]> {
  await initBackend(backend, { quiet: true });
  return tf.tidy(() => {
    const xs = shapes.map((s, i) => i === 4 ? data(s, 10 + i, 0.5, 2) : data(s, 10 + i));
    const outs = f(...xs);
    const probe = data(outs[0].shape, 99);
    const rest = xs.slice(differentiable);
    const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a, ...rest)[0], probe)) as tf.Scalar)(
      xs.slice(0, differentiable),
    );
    return [...outs, ...grads].map((t) => t.dataSync().slice() as Float32Array);
  });
}

// x, gamma, beta, running mean, running var. The native kernels process r rows of C channels as one
// "super-row" of r*C >= 64 lanes: C = 8 (r = 8, partial last super-row), 24 (r = 3), 100 (r = 1), and a
// size that runs in parallel over several blocks.
const SHAPES = [8, 24, 100].map((c) => [[2, 5, 6, c], [c], [c], [c], [c]]).concat([[
  [2, 24, 24, 40],
  [40],
  [40],
  [40],
  [40],
]]);

Deno.test({
  name: "fused BatchNorm + activation equals the composite (train and eval, all gradients)",
  ignore: !status.ok,
  fn: async () => {
    for (const shapes of SHAPES) {
      for (const training of [true, false]) {
        for (const a of ACTS) {
          // Training: the running statistics are not used, so there is no gradient for them.
          const nd = training ? 3 : 5;
          const ref = await run("cpu", (x, g, b, m, v) => composite(x, g, b, m, v, a, training), shapes, nd);
          const got = await run(
            "native",
            (x, g, b, m, v) => {
              const r = fusedBatchNormAct(
                x as tf.Tensor4D,
                { weight: g, bias: b, running_mean: m, running_var: v },
                a,
                { training, eps: EPS },
              );
              if (!r) throw new Error("fusedBatchNormAct returned null on native");
              return [r.y, ...(training ? [r.mean!, r.variance!] : [])];
            },
            shapes,
            nd,
          );
          equal(got.length, ref.length);
          ref.forEach((r, i) => {
            const err = relMaxError(got[i], r);
            ok(err < 2e-5, `${shapes[0]} ${training ? "train" : "eval"} ${a}: output ${i} differs by ${err}`);
          });
        }
      }
    }
  },
});

Deno.test({
  name: "fused activation and fused conv + bias + activation equal the composite",
  ignore: !status.ok,
  fn: async () => {
    for (const a of ACTS) {
      const ref = await run("cpu", (x) => [act(x, a)], [[2, 4, 3, 5]]);
      const got = await run("native", (x) => [fusedAct(x as tf.Tensor4D, a)!], [[2, 4, 3, 5]]);
      ref.forEach((r, i) =>
        ok(relMaxError(got[i], r) < 1e-6, `act ${a}: output ${i} differs by ${relMaxError(got[i], r)}`)
      );
    }
    const shapes = [[2, 7, 6, 3], [3, 3, 3, 5], [5]];
    for (const a of ACTS) {
      for (const s of [1, 2]) {
        await initBackend("cpu", { quiet: true });
        const xs = shapes.map((sh, i) => data(sh, 30 + i));
        const ref = tf.tidy(() =>
          act(tf.add(tf.conv2d(xs[0] as tf.Tensor4D, xs[1] as tf.Tensor4D, s, 1), xs[2]), a).dataSync()
        );
        const vals = xs.map((t) => [t.dataSync().slice(), t.shape] as const);
        tf.dispose(xs);
        await initBackend("native", { quiet: true });
        const ys = vals.map(([v, sh]) => tf.tensor(v, sh));
        const y = fusedConvBiasAct(ys[0] as tf.Tensor4D, ys[1] as tf.Tensor4D, ys[2], s, 1, a);
        ok(y, "fusedConvBiasAct returned null on native");
        ok(
          relMaxError(y.dataSync(), ref) < 1e-5,
          `conv + bias + ${a} s${s} differs by ${relMaxError(y.dataSync(), ref)}`,
        );
        // A forward that gradients go through (differentiable, or train mode) keeps the composite path:
        // its gradient equals the cpu backend's.
        const unit = (ops: TensorOps) => (x: tf.Tensor) =>
          tf.sum(
            tf.square(
              ops.convUnit({ conv: { weight: ys[1], bias: ys[2] } }, x as tf.Tensor4D, { act: a, s, pad: 1 }),
            ),
          );
        const gNative = tf.grad(unit(new TensorOps({ differentiable: true })))(ys[0]);
        const gTrain = tf.grad(unit(new TensorOps({ training: true })))(ys[0]);
        const gv = [gNative.dataSync().slice(), gTrain.dataSync().slice()];
        tf.dispose([...ys, y, gNative, gTrain]);
        await initBackend("cpu", { quiet: true });
        const xc = vals.map(([v, sh]) => tf.tensor(v, sh));
        const gCpu = tf.grad((x: tf.Tensor) =>
          tf.sum(tf.square(act(tf.add(tf.conv2d(x as tf.Tensor4D, xc[1] as tf.Tensor4D, s, 1), xc[2]), a)))
        )(xc[0]);
        for (const g of gv) {
          ok(
            relMaxError(g, gCpu.dataSync()) < 1e-4,
            `conv unit ${a} s${s} gradient differs by ${relMaxError(g, gCpu.dataSync())}`,
          );
        }
        tf.dispose([...xc, gCpu]);
      }
    }
  },
});

Deno.test({
  name: "the port declines fused ops (null) on other backends",
  ignore: !status.ok,
  fn: async () => {
    await initBackend("cpu", { quiet: true });
    const x = tf.ones([1, 2, 2, 3]) as tf.Tensor4D;
    const p = {
      weight: tf.ones([3]),
      bias: tf.zeros([3]),
      running_mean: tf.zeros([3]),
      running_var: tf.ones([3]),
    };
    equal(fusedAct(x, "silu"), null);
    equal(fusedBatchNormAct(x, p, "silu", { training: true, eps: EPS }), null);
    equal(fusedConvBiasAct(x, tf.ones([1, 1, 3, 3]) as tf.Tensor4D, undefined, 1, 0, "silu"), null);
    tf.dispose([x, ...Object.values(p)]);
  },
});
