import * as tf from "@tensorflow/tfjs";
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { createRng, rngFloat, rngNormal } from "../lib/data/rng.ts";
import { initWeights } from "../lib/graph/init.ts";
import { flattenTree } from "../lib/nn/tree.ts";
import { familySpec } from "../lib/ib/families.ts";
import { panFeatureMaps } from "../lib/ib/pan_maps.ts";
import { buildModelSpec } from "../lib/models/build.ts";
import { forwardLayers } from "../lib/graph/spec.ts";
import { loadModelConfig } from "../lib/models/shipped.ts";
import { configToDict, parseModelConfig } from "../lib/graph/config.ts";
import { scaleConfig } from "../lib/graph/scale.ts";
import { channelSum, featureOps, layerOutputs } from "../lib/ib/features.ts";
import { reversibility } from "../lib/ib/reversibility.ts";
import { inputFeatureInformation } from "../lib/ib/information.ts";
import {
  cellGradient, chainActivations, chainInputGradient, gradientSnr, luminanceTarget, meanPairwiseCosine, readoutUpstream,
} from "../lib/ib/gradient_signal.ts";
import type { FeatureMap, FloatImage } from "../lib/ib/samples.ts";

await initBackend(undefined, { quiet: true });

/** A smooth random 32 x 32 image (sums of a few seeded waves), quantised to 8 bits. */
function testImage(size = 32, seed = 1): FloatImage {
  const rng = createRng(seed);
  const waves = Array.from({ length: 6 }, () => [rngFloat(rng) * 0.6, rngFloat(rng) * 0.6, rngFloat(rng) * 6, rngFloat(rng)]);
  const data = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        let v = 0.5;
        waves.forEach(([fx, fy, ph, a], k) => (v += 0.12 * a * Math.sin(fx * x + fy * y + ph + c * k)));
        data[(y * size + x) * 3 + c] = Math.round(Math.min(1, Math.max(0, v)) * 255) / 255;
      }
    }
  }
  return { height: size, width: size, data };
}

/** Space-to-depth: each s x s cell's pixels as its feature vector (a perfectly reversible map). */
function spaceToDepth(img: FloatImage, s: number): FeatureMap {
  const h = img.height / s, w = img.width / s, c = s * s * 3;
  const data = new Float32Array(h * w * c);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      let o = (i * w + j) * c;
      for (let y = i * s; y < (i + 1) * s; y++) for (let x = j * s; x < (j + 1) * s; x++) for (let k = 0; k < 3; k++) data[o++] = img.data[(y * img.width + x) * 3 + k];
    }
  }
  return { height: h, width: w, channels: c, data };
}

function noiseMap(h: number, w: number, c: number, seed: number): FeatureMap {
  const rng = createRng(seed);
  return { height: h, width: w, channels: c, data: Float32Array.from({ length: h * w * c }, () => rngNormal(rng)) };
}

Deno.test("reversibility: a space-to-depth map decodes perfectly, independent noise does not", () => {
  const img = testImage();
  const exact = reversibility(spaceToDepth(img, 2), img, { block: 4 });
  ok(exact.r2 > 0.999 && exact.psnr > 40, JSON.stringify(exact));
  const noise = reversibility(noiseMap(16, 16, 12, 3), img, { block: 4 });
  ok(noise.r2 < 0.1 && noise.r2 > -0.3, JSON.stringify(noise));
  throws(() => reversibility(spaceToDepth(img, 2), img, { block: 16 }), /needs at least 2 x 2 blocks/);
});

Deno.test("information: KSG sees the patch in a space-to-depth map, and about nothing in noise", () => {
  const img = testImage(64, 2);
  const full = inputFeatureInformation(spaceToDepth(img, 2), img, { samples: 512 });
  const none = inputFeatureInformation(noiseMap(32, 32, 12, 4), img, { samples: 512 });
  ok(full.ksg > 1.0, `I(patch; patch) estimate ${full.ksg}`);
  ok(Math.abs(none.ksg) < 0.1, `I(patch; noise) estimate ${none.ksg}`);
  ok(full.gaussian > 1.0 && none.gaussian < 0.1, `${full.gaussian} ${none.gaussian}`);
});

Deno.test("gradient signal: cosine, SNR and cell pooling on vectors with known statistics", () => {
  equal(meanPairwiseCosine([[1, 0], [0, 1]]), 0);
  equal(meanPairwiseCosine([[1, 2], [2, 4], [3, 6]]), 1);
  equal(gradientSnr([[1, 2], [2, 4]]), Infinity);
  // S vectors mu + noise with |mu|² = d and unit noise per coordinate: E cos = 1/2, SNR = (S + 1) / (S - 1).
  const rng = createRng(9);
  const d = 4000, S = 6;
  const vs = Array.from({ length: S }, () => Float64Array.from({ length: d }, () => 1 + rngNormal(rng)));
  ok(Math.abs(meanPairwiseCosine(vs) - 0.5) < 0.02, `cos ${meanPairwiseCosine(vs)}`);
  ok(Math.abs(gradientSnr(vs) - (S + 1) / (S - 1)) < 0.1, `snr ${gradientSnr(vs)}`);
  // Pooling: the sum over each 2 x 2 x 3 cell.
  const g = Float32Array.from({ length: 4 * 4 * 3 }, (_, i) => i);
  const pooled = cellGradient(g, 4, 4, 2);
  equal(pooled.data[0], [0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17].reduce((a, b) => a + b, 0));
  // Readout of a map that is the target itself: w = 1, so dL/dF = y / n.
  const target = luminanceTarget(testImage(8, 5), 4, 4);
  const up = readoutUpstream({ height: 4, width: 4, channels: 1, data: target.data }, target, 1e-12);
  target.data.forEach((y, p) => ok(Math.abs(up[p] - y / 16) < 1e-6));
});

Deno.test("gradient signal: the layer-by-layer input gradient equals tf.grad through the whole network", () => {
  const spec = familySpec("cspnet", { maxDepth: 12, width: 8, cspUnits: 1 });
  const weights = initWeights(spec, { seed: 3 });
  const x = tf.randomUniform([1, 16, 16, 3], 0, 1, "float32", 5) as tf.Tensor4D;
  const tap = 2;
  const up = tf.randomNormal([1, 8, 8, 8], 0, 1, "float32", 6) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const acts = chainActivations(spec, weights, x, tap);
  const g = chainInputGradient(spec, weights, acts, tap, up);
  acts.slice(1).forEach((a) => a.dispose());
  const ref = tf.grad((xi: tf.Tensor) => {
    const outs = forwardLayers(featureOps("batch"), spec, weights, xi as tf.Tensor4D, { upTo: tap + 1 });
    return tf.sum(tf.mul(outs[tap] as tf.Tensor4D, up));
  })(x);
  const a = g.dataSync(), b = ref.dataSync();
  let maxErr = 0, maxRef = 0;
  for (let i = 0; i < a.length; i++) [maxErr, maxRef] = [Math.max(maxErr, Math.abs(a[i] - b[i])), Math.max(maxRef, Math.abs(b[i]))];
  ok(maxErr <= 1e-4 * maxRef, `max error ${maxErr} vs max |grad| ${maxRef}`);
  g.dispose();
  equal(tf.memory().numTensors, before + 1); // only the reference gradient is left
  tf.dispose([ref, x, up, ...flattenTree(weights).map(([, t]) => t)]);
});

Deno.test("features: taps by layer with flat memory; channel sum as issue #223 draws it", async () => {
  const spec = familySpec("gelan", { maxDepth: 20, width: 16 });
  const weights = initWeights(spec, { seed: 0 });
  const x = tf.randomUniform([1, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const [f0, f1] = layerOutputs(spec, weights, x, [0, 2]);
  equal(tf.memory().numTensors, before + 2);
  deepEqual(f1.shape, [1, 16, 16, 16]);
  const m = await channelSum(f1);
  const ref = tf.sum(f1, 3).dataSync();
  m.data.forEach((v, i) => ok(Math.abs(v - ref[i]) < 1e-4));
  // Batch mode: each stem channel is normalised over positions before SiLU (pre-activation variance 1, so the
  // output spread is O(1)); running mode at init (mean 0, var 1) leaves the small raw conv outputs.
  const running = layerOutputs(spec, weights, x, [0], { bn: "running" })[0];
  const [sdBatch, sdRunning] = tf.tidy(() => [f0, running].map((t) => tf.moments(t).variance.sqrt().dataSync()[0]));
  ok(sdBatch > 0.3 && sdRunning < 0.5 * sdBatch, `sd batch ${sdBatch}, running ${sdRunning}`);
  tf.dispose([f0, f1, running, x, ...flattenTree(weights).map(([, t]) => t)]);
});

Deno.test("Fig. 7: PAN maps of a detector are its main head inputs summed over channels, memory flat", async () => {
  const spec = buildModelSpec(await loadModelConfig(new URL("../data/models/yolov9-n.yaml", import.meta.url).pathname));
  const weights = initWeights(spec, { seed: 1 });
  const x = tf.randomUniform([1, 64, 64, 3], 0, 1, "float32", 2) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const maps = await panFeatureMaps(spec, weights, x);
  equal(tf.memory().numTensors, before);
  deepEqual(maps.map((m) => [m.layer, m.stride, m.map.width]), [[15, 8, 8], [18, 16, 4], [21, 32, 2]]);
  tf.dispose([x, ...flattenTree(weights).map(([, t]) => t)]);
});

Deno.test("layerOutputs() leaves the caller's input alive through a Silence layer (yolov9-c's layer 0)", async () => {
  const cfg = scaleConfig(configToDict(await loadModelConfig("yolov9-c")), { width: 1 / 16, depth: 1, divisor: 8 });
  const spec = buildModelSpec(parseModelConfig(cfg, "yolov9-c at 1/16 width"));
  equal(spec.layers[0].module, "Silence");
  const weights = initWeights(spec, { seed: 0 });
  const x = tf.randomUniform([1, 32, 32, 3], 0, 1, "float32", 3) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const [f] = layerOutputs(spec, weights, x, [2]);
  ok(!x.isDisposed, "input disposed");
  equal(tf.memory().numTensors, before + 1);
  tf.dispose([f, x, ...flattenTree(weights).map(([, t]) => t)]);
});
