// bfloat16 inference convolutions of the native backend (`precision: "bf16"`): a fused conv equals a
// float32 conv, on the stock cpu backend, of the same input and filter rounded to bf16 (round to
// nearest even, as oneDNN's conversion) and differs from the unrounded one; a whole fused model stays
// within bf16's tolerance of its float32 forward and leaks no tensor. Where oneDNN has no native bf16
// kernel (no AVX512_BF16 / AMX) the same calls must stay float32 instead.
import * as tf from "@tensorflow/tfjs";
import { equal, ok } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { convSupport, registerNativeBackend } from "../lib/backend/native/mod.ts";
import { fusedConvBiasAct } from "../lib/backend/port.ts";
import { relMaxError } from "../lib/testing/all_close.ts";
import { fusedLayerError } from "./fixtures/fused_layers.ts";

const status = registerNativeBackend();
if (!status.ok) console.log(`native bf16 tests skipped: ${status.reason}`);

/** `v` rounded to bfloat16 (round to nearest, ties to even), kept as float32. */
function toBf16(v: Float32Array): Float32Array {
  const out = v.slice();
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < u.length; i++) u[i] = ((u[i] + 0x7fff + ((u[i] >>> 16) & 1)) & 0xffff0000) >>> 0;
  return out;
}

// [input shape, filter shape, stride, pad, bias, activation]
const CASES: [number[], number[], number, number, boolean, string][] = [
  [[2, 9, 11, 24], [3, 3, 24, 40], 1, 1, true, "silu"],
  [[1, 8, 8, 64], [1, 1, 64, 32], 1, 0, false, "relu"],
  [[2, 12, 12, 16], [3, 3, 16, 48], 2, 1, true, "none"],
];

Deno.test({
  name: "bf16 fused conv equals a float32 conv of bf16-rounded input and filter (float32 where not native)",
  ignore: !status.ok,
  fn: async () => {
    const support = convSupport("bf16");
    console.log(`bf16 convolution here: ${support.native ? "native" : "not native"} (${support.kernel})`);
    for (const [xs, ws, s, pad, withBias, act] of CASES) {
      await initBackend("cpu", { quiet: true });
      const [x, w, b] = tf.tidy(() =>
        ([[xs, 2], [ws, 0.5], [[ws[3]], 1]] as [number[], number][]).map(([shape, r], i) =>
          tf.randomUniform(shape, -r, r, "float32", i + 1).dataSync() as Float32Array
        )
      );
      const reference = async (xv: Float32Array, wv: Float32Array) => {
        await initBackend("cpu", { quiet: true });
        return tf.tidy(() => {
          const x4 = tf.tensor4d(xv, xs as [number, number, number, number]);
          const y = tf.conv2d(x4, tf.tensor4d(wv, ws as [number, number, number, number]), s, pad);
          const z = withBias ? tf.add(y, tf.tensor1d(b)) : y;
          const out = act === "silu" ? tf.mul(z, tf.sigmoid(z)) : act === "relu" ? tf.relu(z) : z;
          return out.dataSync() as Float32Array;
        });
      };
      const exact = await reference(x, w), rounded = await reference(toBf16(x), toBf16(w));
      await initBackend("native", { quiet: true });
      const before = tf.memory().numTensors;
      const got = tf.tidy(() => {
        const y = fusedConvBiasAct(
          tf.tensor4d(x, xs as [number, number, number, number]),
          tf.tensor4d(w, ws as [number, number, number, number]),
          withBias ? tf.tensor1d(b) : undefined,
          s,
          pad,
          act,
          "bf16",
        );
        ok(y, "the native backend fuses conv + bias + activation");
        return y.dataSync() as Float32Array;
      });
      equal(tf.memory().numTensors, before, "no tensor left behind");
      equal(got.length, exact.length);
      const toRounded = relMaxError(got, rounded), toExact = relMaxError(got, exact);
      const what = `${xs} * ${ws} s${s} ${act}: vs rounded ${toRounded.toExponential(2)}, vs exact ${
        toExact.toExponential(2)
      }`;
      if (support.native) {
        ok(toRounded < 2e-5, `bf16 result is the float32 conv of the rounded values (${what})`);
        ok(toExact > 2e-4, `bf16 result differs from the unrounded float32 conv (${what})`);
      } else {
        ok(toExact < 1e-5, `without a native bf16 kernel the conv stays float32 (${what})`);
      }
    }
  },
});

Deno.test({
  name: "a fused GELAN-S forward in bf16 stays within bf16 tolerance of float32 and leaks no tensor",
  ignore: !status.ok,
  fn: async () => {
    const worst = await fusedLayerError("bf16");
    console.log(
      `GELAN-S fused layers, bf16 vs fp32: relative max error per output up to ${worst.toExponential(2)}`,
    );
    if (convSupport("bf16").native) {
      ok(worst > 1e-3, `bf16 changes the outputs (${worst})`);
      ok(worst < 3e-2, `every output within 3e-2 (relative to its largest value) of float32, got ${worst}`);
    } else {
      equal(worst, 0, "without a native bf16 kernel the forward stays float32");
    }
  },
});
