// Winograd inference convolutions of the native backend (`precision: "winograd"`): a fused 3x3 stride-1
// conv equals the stock cpu backend's direct float32 conv to float32 tolerance (and is not the native
// direct conv's bits, so the Winograd kernel ran); other shapes run the direct conv unchanged. The shim
// keeps each transformed filter: the same filter gives the same result again, another filter of the same
// shape its own result, and a filter changed in place (same tensor, an in-place optimizer step) is
// transformed anew. A whole fused model stays within 1e-4 of float32 and leaks no tensor. Where oneDNN
// has no Winograd kernel (no AVX-512) the same calls must stay float32 instead.
import * as tf from "@tensorflow/tfjs";
import { deepEqual, equal, notDeepEqual, ok } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { convSupport, registerNativeBackend } from "../lib/backend/native/mod.ts";
import { fusedConvBiasAct, type Precision } from "../lib/backend/port.ts";
import { relMaxError } from "../lib/testing/all_close.ts";
import { fusedLayerError } from "./fixtures/fused_layers.ts";

const status = registerNativeBackend();
if (!status.ok) console.log(`native winograd tests skipped: ${status.reason}`);

type Shape4 = [number, number, number, number];
// [input shape, filter shape, stride, pad, bias, activation, Winograd applies]
const CASES: [Shape4, Shape4, number, number, boolean, string, boolean][] = [
  [[1, 16, 16, 64], [3, 3, 64, 64], 1, 1, true, "silu", true],
  [[2, 20, 24, 32], [3, 3, 32, 48], 1, 1, false, "relu", true],
  [[1, 30, 30, 64], [3, 3, 64, 128], 1, 1, true, "none", true],
  [[2, 12, 12, 32], [3, 3, 32, 48], 2, 1, true, "silu", false],
  [[1, 8, 8, 64], [1, 1, 64, 32], 1, 0, true, "silu", false],
];

function random(shape: number[], r: number, seed: number): Float32Array {
  return tf.tidy(() => tf.randomUniform(shape, -r, r, "float32", seed).dataSync() as Float32Array);
}

/** The stock cpu backend's conv + bias + activation (an independent direct float32 conv). */
async function reference(
  x: Float32Array,
  xs: Shape4,
  w: Float32Array,
  ws: Shape4,
  b: Float32Array | null,
  s: number,
  pad: number,
  act: string,
): Promise<Float32Array> {
  await initBackend("cpu", { quiet: true });
  return tf.tidy(() => {
    const y = tf.conv2d(tf.tensor4d(x, xs), tf.tensor4d(w, ws), s, pad);
    const z = b ? tf.add(y, tf.tensor1d(b)) : y;
    const out = act === "silu" ? tf.mul(z, tf.sigmoid(z)) : act === "relu" ? tf.relu(z) : z;
    return out.dataSync() as Float32Array;
  });
}

/** The native fused conv at `precision` (the native backend must be active). */
function native(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  b: tf.Tensor1D | undefined,
  s: number,
  pad: number,
  act: string,
  precision: Precision,
): Float32Array {
  return tf.tidy(() => {
    const y = fusedConvBiasAct(x, w, b, s, pad, act, precision);
    ok(y, "the native backend fuses conv + bias + activation");
    return y.dataSync() as Float32Array;
  });
}

Deno.test({
  name: "winograd fused conv equals the direct float32 conv to float32 tolerance; other shapes run direct",
  ignore: !status.ok,
  fn: async () => {
    await initBackend("native", { quiet: true });
    const support = convSupport("winograd");
    console.log(`winograd convolution here: ${support.native ? "native" : "not native"} (${support.kernel})`);
    for (const [k, [xs, ws, s, pad, withBias, act, applies]] of CASES.entries()) {
      await initBackend("cpu", { quiet: true });
      const x = random(xs, 2, 3 * k + 1), w = random(ws, 0.5, 3 * k + 2);
      const b = withBias ? random([ws[3]], 1, 3 * k + 3) : null;
      const expected = await reference(x, xs, w, ws, b, s, pad, act);
      await initBackend("native", { quiet: true });
      const before = tf.memory().numTensors;
      const [xt, wt] = [tf.tensor4d(x, xs), tf.tensor4d(w, ws)], bt = b ? tf.tensor1d(b) : undefined;
      const direct = native(xt, wt, bt, s, pad, act, "fp32");
      const wino = native(xt, wt, bt, s, pad, act, "winograd");
      const again = native(xt, wt, bt, s, pad, act, "winograd");
      tf.dispose([xt, wt, bt!].filter(Boolean));
      equal(tf.memory().numTensors, before, "no tensor left behind");
      const err = relMaxError(wino, expected);
      const what = `${xs} * ${ws} s${s} ${act}: vs the cpu backend ${err.toExponential(2)}`;
      ok(err < 2e-5, `within float32 tolerance of the direct conv (${what})`);
      // (Not necessarily the same bits: under load the shim may change its thread count between calls,
      // and oneDNN's Winograd blocking with it.)
      ok(relMaxError(again, expected) < 2e-5, `the kept filter gives the same result (${what})`);
      if (support.native && applies) notDeepEqual(wino, direct, `the Winograd kernel ran (${what})`);
      else deepEqual(wino, direct, `the direct conv ran (${what})`);
    }
  },
});

Deno.test({
  name:
    "winograd filter cache: another filter of the same shape, and a filter changed in place, are transformed anew",
  ignore: !status.ok,
  fn: async () => {
    const xs: Shape4 = [1, 16, 16, 64], ws: Shape4 = [3, 3, 64, 64];
    await initBackend("cpu", { quiet: true });
    const x = random(xs, 2, 11), w1 = random(ws, 0.5, 12), w2 = random(ws, 0.5, 13);
    const negated = w1.map((v) => -v);
    const want1 = await reference(x, xs, w1, ws, null, 1, 1, "silu");
    const want2 = await reference(x, xs, w2, ws, null, 1, 1, "silu");
    const wantNeg = await reference(x, xs, negated, ws, null, 1, 1, "silu");
    await initBackend("native", { quiet: true });
    const xt = tf.tensor4d(x, xs), t1 = tf.tensor4d(w1, ws), t2 = tf.tensor4d(w2, ws);
    const run = (w: tf.Tensor4D) => native(xt, w, undefined, 1, 1, "silu", "winograd");
    ok(relMaxError(run(t1), want1) < 2e-5, "first filter");
    ok(relMaxError(run(t2), want2) < 2e-5, "a second filter of the same shape gets its own transform");
    ok(relMaxError(run(t1), want1) < 2e-5, "the first filter again");
    // Change t1's values in place, as the optimizer's donated step does.
    const backend = tf.backend() as unknown as { data: { get(id: tf.DataId): { values: Float32Array } } };
    backend.data.get(t1.dataId).values.set(negated);
    const err = relMaxError(run(t1), wantNeg);
    ok(err < 2e-5, `a filter changed in place is transformed anew (error ${err.toExponential(2)})`);
    tf.dispose([xt, t1, t2]);
  },
});

Deno.test({
  name: "a fused GELAN-S forward with winograd stays within 1e-4 of float32 and leaks no tensor",
  ignore: !status.ok,
  fn: async () => {
    const worst = await fusedLayerError("winograd");
    console.log(
      `GELAN-S fused layers, winograd vs fp32: relative max error per output up to ${worst.toExponential(2)}`,
    );
    if (convSupport("winograd").native) {
      ok(worst > 0, "winograd changes the bits of some output");
      ok(worst < 1e-4, `every output within 1e-4 (relative to its largest value) of float32, got ${worst}`);
    } else {
      equal(worst, 0, "without a Winograd kernel the forward stays float32");
    }
  },
});

Deno.test({
  name: "winograd filter cache: the filters of collected tensors are forgotten",
  ignore: !status.ok,
  fn: async () => {
    const script = new URL("./fixtures/winograd_forget.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--v8-flags=--expose-gc", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    equal(out.code, 0, err);
    const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
    console.log(`kept Winograd filters: ${JSON.stringify(r)}`);
    if (convSupport("winograd").native) {
      equal(r.kept.filters, r.start.filters + 4, "each of the 4 filters is kept once transformed");
      ok(r.kept.bytes > r.start.bytes);
      deepEqual(r.collected, r.start, "the collected filters' transforms are freed");
    } else {
      deepEqual(r.kept, r.start, "nothing is kept without a Winograd kernel");
    }
  },
});
