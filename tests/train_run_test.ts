// trainRun() on an in-memory synthetic dataset: the run folder (results.csv with the official columns,
// plots, opt/hyp YAML, loadable weights), resume = uninterrupted run bit for bit, a non-finite loss
// stopping the run with the last good checkpoint kept, and no leaked tensors.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { initBackend } from "../lib/backend/backend.ts";
import { readSafetensors } from "../lib/io/safetensors.ts";
import { loadModel } from "../lib/models/load.ts";
import { disposeWeights } from "../lib/graph/weights.ts";
import { initWeights, parseModelConfig } from "../lib/graph/mod.ts";
import { buildModelSpec } from "../lib/models/mod.ts";
import type { Batch, Dataset, LoaderOptions } from "../lib/data/types.ts";
import {
  type DataApi,
  type EpochRow,
  parseResultsCsv,
  RESULT_KEYS,
  trainRun,
  type TrainRunOptions,
  transferWeights,
} from "../lib/train/mod.ts";
import { syntheticDataApi, syntheticLoader, tinyConfig } from "./fixtures/train_data.ts";

await initBackend("wasm", { quiet: true });
const root = await Deno.makeTempDir({ prefix: "yolo_train_" });
const data = syntheticDataApi({ train: 16, val: 8 });
const base = (name: string, dual = true): TrainRunOptions => ({
  cfg: tinyConfig(2, dual), data: "synthetic", epochs: 2, batch: 4, img: 64, seed: 3, project: root, name, quiet: true,
});

async function tensorsOf(path: string): Promise<Map<string, number[]>> {
  const f = await readSafetensors(path);
  return new Map([...f.tensors].map(([k, t]) => [k, Array.from(t.data as ArrayLike<number | bigint>, Number)]));
}

Deno.test("trainRun() writes the run folder: results.csv (official columns), plots, opt/hyp, loadable weights", async () => {
  const before = tf.memory().numTensors;
  const res = await trainRun(base("files"), data);
  // initWeights leaves one tf.range per DFL (2 for a dual head) behind: lib/graph/init.ts.
  assert.ok(tf.memory().numTensors - before <= 2, `leaked ${tf.memory().numTensors - before} tensors`);
  assert.equal(res.dir, `${root}/files`);
  assert.equal(res.rows.length, 2);
  const csv = await Deno.readTextFile(`${res.dir}/results.csv`);
  assert.deepEqual(csv.split("\n")[0].split(",").map((s) => s.trim()), ["epoch", ...RESULT_KEYS]);
  const rows = parseResultsCsv(csv);
  assert.deepEqual(rows.map((r) => r.epoch), [0, 1]);
  for (const k of RESULT_KEYS) assert.ok(Math.abs(rows[1][k] - res.rows[1][k]) <= 1e-4 * Math.max(1, Math.abs(res.rows[1][k])), k);
  assert.ok(res.rows[0]["x/lr0"] > res.rows[0]["x/lr1"], "warm-up: bias LR falls from 0.1 while the others rise from 0");
  for (const f of ["results.png", "results.svg", "confusion_matrix.png", "opt.yaml", "hyp.yaml", "weights/best.safetensors"]) {
    assert.ok((await Deno.stat(`${res.dir}/${f}`)).size > 0, f);
  }
  await assert.rejects(Deno.stat(`${res.dir}/weights/last.state.safetensors`), "resume state is stripped at the end");
  const opt = parse(await Deno.readTextFile(`${res.dir}/opt.yaml`));
  assert.deepEqual([opt.epochs, opt.nbs], [2, 64]);
  assert.equal(parse(await Deno.readTextFile(`${res.dir}/hyp.yaml`)).lr0, 0.01);
  const m = await loadModel(`${res.dir}/weights/last.safetensors`);
  assert.equal(m.spec.branches, 2);
  assert.equal(m.metadata.epoch, "1");
  // 8 iterations; warm-up accumulate = round(interp(ni, [0, 100], [1, 64 / 4])) = 1,1,1,1,2,2,2,2 -> 6 steps.
  assert.equal(m.metadata.updates, "6");
  assert.deepEqual(JSON.parse(m.metadata.names), ["red", "green"]);
  disposeWeights(m.weights);
  const small = await trainRun({ ...base("nbs4"), nbs: 4, noval: true }, data);
  const ms = await readSafetensors(`${small.dir}/weights/last.safetensors`);
  assert.equal(ms.metadata.updates, "8", "nbs = batch: an optimizer step every iteration");
  // Validation every epoch by default; with noval only after the last (the others' columns are the official zeros).
  const valLoss = (r: EpochRow) => r["val/box_loss"] + r["val/cls_loss"] + r["val/dfl_loss"];
  assert.ok(valLoss(res.rows[0]) > 0 && valLoss(res.rows[1]) > 0);
  assert.deepEqual(RESULT_KEYS.filter((k) => k.startsWith("val/") || k.startsWith("metrics/")).map((k) => small.rows[0][k]), [0, 0, 0, 0, 0, 0, 0]);
  assert.ok(valLoss(small.rows[1]) > 0);
  assert.equal(parse(await Deno.readTextFile(`${small.dir}/opt.yaml`)).noval, true);
  const again = await trainRun({ ...base("files"), epochs: 1, weights: `${res.dir}/weights/best.safetensors` }, data);
  assert.equal(again.dir, `${root}/files2`, "increment_path");
  // --weights: intersect_dicts copies every same-named, same-shaped tensor; another nc drops the class convs.
  const sd = (await readSafetensors(`${res.dir}/weights/best.safetensors`)).tensors;
  for (const [nc, dropped] of [[2, 0], [3, 2 * 3 * 2]]) {
    const w = initWeights(buildModelSpec(parseModelConfig(tinyConfig(nc, true), "tiny")), { seed: 0 });
    const t = transferWeights(w, sd);
    assert.equal(t.transferred, t.total - dropped, `nc ${nc}`);
    disposeWeights(t.weights);
    t.replaced.forEach((x) => x.dispose());
  }
});

Deno.test("trainRun({resume}) after an interruption gives the same weights and rows as an uninterrupted run", async () => {
  const straight = await trainRun(base("straight"), data);
  const stop = new Error("simulated interruption");
  await assert.rejects(
    trainRun({ ...base("resumed"), onEpoch: (r: EpochRow) => {
      if (r.epoch === 0) throw stop;
    } }, data),
    (e) => e === stop,
  );
  const meta = (await readSafetensors(`${root}/resumed/weights/last.safetensors`)).metadata;
  assert.equal(meta.epoch, "0");
  const resumed = await trainRun({ ...base("resumed"), epochs: 99, batch: 1, resume: true }, data);
  assert.equal(resumed.dir, `${root}/resumed`);
  assert.deepEqual(resumed.rows, straight.rows);
  for (const f of ["last", "best"]) {
    const a = await tensorsOf(`${straight.dir}/weights/${f}.safetensors`);
    const b = await tensorsOf(`${resumed.dir}/weights/${f}.safetensors`);
    assert.deepEqual([...b.keys()], [...a.keys()]);
    for (const [k, v] of a) assert.deepEqual(b.get(k), v, `${f}: ${k}`);
  }
  await assert.rejects(trainRun({ ...base("straight"), resume: true }, data), /the run has finished/);
});

Deno.test("trainRun() stops on a non-finite loss naming epoch and batch, keeping the last good checkpoint", async () => {
  const poisoned: DataApi = {
    loadDataset: data.loadDataset,
    createLoader: (ds: Dataset, o: LoaderOptions): AsyncIterable<Batch> => ({
      async *[Symbol.asyncIterator]() {
        let i = 0;
        for await (const b of syntheticLoader(ds, o)) {
          if (o.augment && o.epoch === 1 && i === 2) {
            b.images.dispose();
            yield { ...b, images: tf.fill(b.images.shape, NaN) as tf.Tensor4D };
          } else yield b;
          i++;
        }
      },
    }),
  };
  const before = tf.memory().numTensors;
  await assert.rejects(trainRun(base("nan", false), poisoned), /epoch 1, batch 2/);
  assert.ok(tf.memory().numTensors - before <= 1, `leaked ${tf.memory().numTensors - before} tensors`);
  const meta = (await readSafetensors(`${root}/nan/weights/last.safetensors`)).metadata;
  assert.equal(meta.epoch, "0");
  await Deno.stat(`${root}/nan/weights/last.state.safetensors`);
});
