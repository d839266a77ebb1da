import { deepEqual, equal, match, rejects, throws } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors } from "../lib/io/safetensors.ts";
import { f16ToF32, f32ToF16, type RawTensor } from "../lib/io/raw_tensor.ts";
import { initBackend } from "../lib/backend/backend.ts";
import { loadModelConfig } from "../lib/models/shipped.ts";
import { buildModelSpec } from "../lib/models/build.ts";
import { initWeights } from "../lib/graph/init.ts";
import { stateDictFromWeights, weightsFromStateDict } from "../lib/graph/weights.ts";
import { flattenTree } from "../lib/nn/tree.ts";
import { loadWeightsBytes } from "../lib/io/weights_file.ts";
import { loadModel, saveModel } from "../lib/models/load.ts";
import { parseModelConfig } from "../lib/graph/config.ts";
import { tinyConfig } from "./fixtures/train_data.ts";

Deno.test("safetensors round-trips F32, F16, I64, BOOL, 0-d and zero-size tensors with metadata", async () => {
  const tensors = new Map<string, RawTensor>([
    ["a.f32", { dtype: "F32", shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) }],
    ["b.f16", { dtype: "F16", shape: [3], data: Uint16Array.from([1, -2.5, 65504].map(f32ToF16)) }],
    ["c.i64", { dtype: "I64", shape: [], data: BigInt64Array.from([1234567890123n]) }],
    ["d.bool", { dtype: "BOOL", shape: [2], data: Uint8Array.from([1, 0]) }],
    ["e.empty", { dtype: "F32", shape: [0, 4], data: new Float32Array(0) }],
  ]);
  const bytes = serializeSafetensors(tensors, { config: "x: 1" });
  equal(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0, "header padded to 8 bytes");
  const back = parseSafetensors(bytes, "mem");
  deepEqual(back.metadata, { config: "x: 1" });
  for (const [k, t] of tensors) deepEqual(back.tensors.get(k), t, k);
  deepEqual([...(back.tensors.get("b.f16")!.data as Uint16Array)].map(f16ToF32), [1, -2.5, 65504]);
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  await writeSafetensors(path, tensors);
  deepEqual((await readSafetensors(path)).tensors.get("a.f32"), tensors.get("a.f32"));
  await Deno.remove(path);
});

Deno.test("f32ToF16() rounds to nearest even and handles subnormals, infinities and NaN", () => {
  for (const v of [0, 1, -1, 0.1, 1 / 3, 65504, 1e-7, 6e-8, 2 ** -24, -(2 ** -20)]) {
    const back = f16ToF32(f32ToF16(v));
    const ulp = Math.max(2 ** -24, 2 ** (Math.floor(Math.log2(Math.abs(v) || 1)) - 10));
    equal(Math.abs(back - v) <= ulp / 2, true, `${v} -> ${back}`);
  }
  equal(f16ToF32(f32ToF16(1e6)), Infinity);
  equal(Number.isNaN(f16ToF32(f32ToF16(NaN))), true);
  equal(f32ToF16(1 + 2 ** -11), f32ToF16(1), "tie rounds to even");
});

Deno.test("parseSafetensors() rejects truncated and inconsistent files with the file named", () => {
  const good = serializeSafetensors(new Map([["w", { dtype: "F32", shape: [4], data: new Float32Array(4) } as RawTensor]]));
  throws(() => parseSafetensors(good.subarray(0, 4), "x.safetensors"), /x\.safetensors: file has 4 bytes/);
  throws(() => parseSafetensors(good.subarray(0, good.length - 4), "x.safetensors"), /tensor "w" F32\[4\] needs 16 bytes/);
  const bad = good.slice();
  new DataView(bad.buffer).setBigUint64(0, 1n << 40n, true);
  throws(() => parseSafetensors(bad, "x.safetensors"), /truncated or bad header: header length .* exceeds file size/);
});

Deno.test("weightsFromStateDict() round-trips and lists missing, unexpected and mis-shaped keys", async () => {
  await initBackend("cpu", { quiet: true });
  const spec = buildModelSpec(await loadModelConfig("gelan-t"), { nc: 2 });
  const w = initWeights(spec, { seed: 4 });
  const sd = stateDictFromWeights(w);
  equal(sd.get("model.0.conv.weight")!.shape.join(), "16,3,3,3");
  const back = weightsFromStateDict(spec, sd);
  for (const [k, t] of flattenTree(back)) {
    const orig = flattenTree(w).find(([n]) => n === k)![1];
    deepEqual(t.dataSync(), orig.dataSync(), k);
  }
  sd.delete("model.3.cv1.bn.bias");
  sd.set("model.99.foo", { dtype: "F32", shape: [1], data: new Float32Array(1) });
  sd.set("model.0.conv.weight", { dtype: "F32", shape: [16, 3, 1, 1], data: new Float32Array(48) });
  throws(() => weightsFromStateDict(spec, sd, { source: "w.safetensors" }), (e: Error) => {
    match(e.message, /Cannot load weights w\.safetensors into gelan-t/);
    match(e.message, /missing \(1\): model\.3\.cv1\.bn\.bias/);
    match(e.message, /unexpected \(1\): model\.99\.foo/);
    match(e.message, /model\.0\.conv\.weight: expected \[16,3,3,3\], got \[16,3,1,1\]/);
    return true;
  });
  tf.disposeVariables();
});

Deno.test("safetensors: overlapping data_offsets and a header length beyond the file are refused as such", async () => {
  const two = serializeSafetensors(new Map<string, RawTensor>([
    ["a", { dtype: "F32", shape: [4], data: new Float32Array(4) }],
    ["b", { dtype: "F32", shape: [4], data: new Float32Array(4) }],
  ]));
  const hlen = Number(new DataView(two.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(two.subarray(8, 8 + hlen)));
  header.b.data_offsets = [8, 24]; // b starts inside a
  const json = new TextEncoder().encode(JSON.stringify(header).padEnd(hlen, " "));
  const overlapping = two.slice();
  overlapping.set(json, 8);
  throws(() => parseSafetensors(overlapping, "o.safetensors"), /o\.safetensors: tensors "a" \[0, 16\) and "b" \[8, 24\) overlap/);
  const truncated = two.subarray(0, 8 + (hlen >> 1));
  await rejects(loadWeightsBytes(truncated, "t.safetensors"), /t\.safetensors: truncated or bad header: header length \d+ exceeds file size/);
});

Deno.test("loadModel() refuses weights with a non-finite value or a non-float dtype, naming the tensor", async () => {
  await initBackend("cpu", { quiet: true });
  const spec = buildModelSpec(parseModelConfig(tinyConfig(2), "tiny"));
  const dir = await Deno.makeTempDir();
  const sd = stateDictFromWeights(initWeights(spec, { seed: 1 }));
  await saveModel(`${dir}/ok.safetensors`, spec, weightsFromStateDict(spec, sd));
  const file = await readSafetensors(`${dir}/ok.safetensors`);
  const v = file.tensors.get("model.1.bn.running_var")!;
  (v.data as Float32Array)[3] = Infinity;
  await writeSafetensors(`${dir}/inf.safetensors`, file.tensors, file.metadata);
  await rejects(loadModel(`${dir}/inf.safetensors`), /inf\.safetensors: tensor model\.1\.bn\.running_var \[16\] holds Infinity at element 3/);
  (v.data as Float32Array)[3] = 1;
  const w = file.tensors.get("model.0.conv.weight")!;
  file.tensors.set("model.0.conv.weight", { ...w, dtype: "I32", data: new Int32Array(w.data.buffer as ArrayBuffer) });
  await writeSafetensors(`${dir}/i32.safetensors`, file.tensors, file.metadata);
  await rejects(loadModel(`${dir}/i32.safetensors`), /i32\.safetensors: tensor model\.0\.conv\.weight has dtype I32, expected F32/);
  // weights without a configuration: the message names the flag that exists where they are loaded
  await writeSafetensors(`${dir}/nocfg.safetensors`, sd);
  await rejects(loadModel(`${dir}/nocfg.safetensors`), /nocfg\.safetensors: it carries no model configuration .*--cfg \(val, detect and reparam take one\)/);
  await Deno.remove(dir, { recursive: true });
});
