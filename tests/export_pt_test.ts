// `.pt` export: a checkpoint of plain official state_dicts that PyTorch loads with weights_only=True (checked by
// Debian's python3-torch, installed by scripts/setup_export.sh), and that our own safe .pt reader reads back exactly.
import * as tf from "@tensorflow/tfjs";
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { loadModelConfig } from "../lib/models/shipped.ts";
import { buildModelSpec } from "../lib/models/build.ts";
import { loadModel } from "../lib/models/load.ts";
import { predict } from "../lib/models/model.ts";
import { disposeWeights, stateDictFromWeights } from "../lib/graph/weights.ts";
import { serializeSafetensors } from "../lib/io/safetensors.ts";
import { loadWeightsBytes } from "../lib/io/weights_file.ts";
import type { RawTensor } from "../lib/io/raw_tensor.ts";
import { randomModelWeights } from "../lib/testing/random_model.ts";
import { exportModel } from "../lib/export/export.ts";
import { inferenceModel } from "../lib/export/inference.ts";
import { PickleCall, PickleTuple, pickleValue } from "../lib/export/pickle_writer.ts";

const repo = new URL("../", import.meta.url).pathname;

async function sh(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(cmd, { args, cwd: repo, stdout: "piped", stderr: "piped" }).output();
  return { code: r.code, out: new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr) };
}

function assertSameStateDict(got: Map<string, RawTensor>, want: Map<string, RawTensor>, what: string): void {
  deepEqual([...got.keys()], [...want.keys()], `${what}: names in order`);
  for (const [k, t] of want) {
    const g = got.get(k)!;
    equal(g.dtype, t.dtype, `${what}: ${k} dtype`);
    deepEqual(g.shape, t.shape, `${what}: ${k} shape`);
    ok(g.data.length === t.data.length && g.data.every((x, i) => x === t.data[i]), `${what}: ${k} values`);
  }
}

/** Check a checkpoint with PyTorch: torch.load(weights_only=True), then every tensor against `want`. */
async function torchCheck(
  dir: string,
  pt: Uint8Array,
  want: Map<string, RawTensor>,
): Promise<Record<string, unknown>> {
  await Deno.writeFile(`${dir}/x.pt`, pt);
  await Deno.writeFile(`${dir}/want.safetensors`, serializeSafetensors(want));
  const r = await sh("/usr/bin/python3", [
    `${repo}scripts/check_torch_pt.py`,
    `${dir}/x.pt`,
    `${dir}/want.safetensors`,
  ]);
  equal(r.code, 0, r.out);
  return JSON.parse(r.out.trim().split("\n").pop()!);
}

Deno.test("pt export: torch.load(weights_only=True) reads every tensor exactly; our reader round-trips it", async () => {
  const setup = await sh("bash", [`${repo}scripts/setup_export.sh`, "torch"]);
  equal(setup.code, 0, setup.out);
  await initBackend("wasm", { quiet: true });
  const dir = await Deno.makeTempDir({ prefix: "export_pt_" });
  const spec = buildModelSpec(await loadModelConfig(`${repo}data/models/yolov9-n.yaml`));
  const weights = randomModelWeights(spec, { seed: 5 });
  const names = Array.from({ length: spec.nc }, (_, i) => `digit ${i}`);

  // Main branch only (the default): the gelan-n structure under the official names.
  const main = exportModel({ spec, weights, fused: false }, {
    format: "pt",
    epoch: 7,
    bestFitness: 0.25,
    names,
  });
  ok(main.stripped);
  const stripped = inferenceModel(spec, weights, { fused: false, fuse: false });
  const wantMain = stateDictFromWeights(stripped.weights);
  const report = await torchCheck(dir, main.bytes, wantMain);
  equal(report.tensors_compared, 2 * wantMain.size);
  equal(report.epoch, 7);
  equal(report.best_fitness, 0.25);
  console.log(
    `torch ${report.torch}: ${report.tensors_compared} tensors equal (model + ema, ${wantMain.size} keys)`,
  );

  // Our reader: exact tensors, the config, names; the loaded model predicts as the main branch.
  const file = await loadWeightsBytes(main.bytes, "main.pt");
  assertSameStateDict(file.tensors, wantMain, "our reader");
  deepEqual(file.names, names);
  equal(file.nc, spec.nc);
  await Deno.writeFile(`${dir}/main.pt`, main.bytes);
  const loaded = await loadModel(`${dir}/main.pt`);
  equal(loaded.spec.branches, 1);
  const x = tf.randomUniform([1, 64, 64, 3], 0, 1, "float32", 2) as tf.Tensor4D;
  const a = predict(loaded.spec, loaded.weights, x);
  const b = predict(spec, weights, x);
  deepEqual(a.dataSync(), b.dataSync());
  tf.dispose([x, a, b]);
  disposeWeights(loaded.weights);

  // --keep-aux: the whole training model (DualDDetect and the auxiliary neck) for training on in PyTorch.
  const full = exportModel({ spec, weights, fused: false }, { format: "pt", keepAux: true });
  ok(!full.stripped);
  const wantFull = stateDictFromWeights(weights);
  ok(wantFull.size > wantMain.size);
  equal((await torchCheck(dir, full.bytes, wantFull)).best_fitness, null);
  assertSameStateDict((await loadWeightsBytes(full.bytes, "full.pt")).tensors, wantFull, "keep-aux");

  throws(
    () => exportModel({ spec, weights, fused: false }, { format: "pt", fuse: true }),
    /official checkpoint layout is unfused/,
  );
  disposeWeights(stripped.weights, weights);
  disposeWeights(weights);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("pickle writer: PyTorch weights_only refuses a pickled call outside its allow-list; floats are refused here", async () => {
  const dir = await Deno.makeTempDir({ prefix: "export_pickle_" });
  // A call of a global outside torch's allow-list, wrapped as a checkpoint: weights_only must reject it.
  const bytes = pickleValue(new PickleCall("builtins", "print", [new PickleTuple(["not allowed"])]));
  await Deno.writeFile(`${dir}/evil.pkl`, bytes);
  const r = await sh("/usr/bin/python3", [
    "-c",
    [
      "import io, pickle, sys, torch._weights_only_unpickler as w",
      `data = open('${dir}/evil.pkl', 'rb').read()`,
      "try:\n  w.Unpickler(io.BytesIO(data)).load(); print('accepted')\nexcept Exception as e:\n  print('refused', e)",
    ].join("\n"),
  ]);
  ok(/^refused .*builtins\.print/m.test(r.out), r.out);
  throws(() => pickleValue(0.5), /only safe integers/);
  await Deno.remove(dir, { recursive: true });
});
