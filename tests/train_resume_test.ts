// Resume and checkpoint safety in trainRun() on in-memory data: a resume takes data, image size, batch,
// nbs and hyperparameters from the run whatever the call says, refuses explicitly given options that
// disagree (naming them); the checkpoint files are one commit (an interrupted commit is completed, an
// unfinished save rolled back, a failed write leaves nothing behind); a state with a non-finite value is
// never saved, so the checkpoint kept on disk after the stop is finite.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { readSafetensors, writeSafetensors } from "../lib/io/safetensors.ts";
import { commitFiles, recoverCommit } from "../lib/io/commit.ts";
import { writeAtomic } from "../lib/io/atomic.ts";
import type { Batch, Dataset, LoaderOptions } from "../lib/data/types.ts";
import { type DataApi, type EpochRow, trainRun, type TrainRunOptions } from "../lib/train/mod.ts";
import { syntheticDataApi, syntheticLoader, tinyConfig } from "./fixtures/train_data.ts";

await initBackend("wasm", { quiet: true });
const root = await Deno.makeTempDir({ prefix: "yolo_resume_" });
const base = (name: string): TrainRunOptions => ({
  cfg: tinyConfig(2),
  data: "first.yaml",
  epochs: 2,
  batch: 4,
  img: 64,
  seed: 3,
  project: root,
  name,
  quiet: true,
  nbs: 8,
});

/** The synthetic data, recording which dataset YAML and loader options were asked for. */
function recordingApi(): DataApi & { yamls: string[]; loads: LoaderOptions[] } {
  const inner = syntheticDataApi({ train: 8, val: 4 });
  const yamls: string[] = [], loads: LoaderOptions[] = [];
  return {
    yamls,
    loads,
    loadDataset: (yaml, split, o) => (yamls.push(yaml), inner.loadDataset(yaml, split, o)),
    createLoader: (ds, o) => (loads.push(o), inner.createLoader(ds, o)),
  };
}

async function interrupted(name: string, api: DataApi): Promise<void> {
  const stop = new Error("interrupted");
  await assert.rejects(
    trainRun({
      ...base(name),
      onEpoch: (r: EpochRow) => {
        if (r.epoch === 0) throw stop;
      },
    }, api),
    (e) => e === stop,
  );
}

Deno.test("trainRun({resume}) takes data, img, batch, nbs and hyp from the run and refuses disagreeing given options", async () => {
  const api = recordingApi();
  await interrupted("opts", api);
  const resume = {
    ...base("opts"),
    data: "mnist-det",
    img: 640,
    batch: 16,
    nbs: 64,
    hyp: { lr0: 0.5 },
    resume: true,
  };
  for (
    const [key, value, re] of [
      ["data", "other.yaml", /data "other.yaml" vs the run's "first.yaml"/],
      ["img", 96, /img 96 vs the run's 64/],
      ["nbs", 64, /nbs 64 vs the run's 8/],
      ["hyp", { lr0: 0.02 }, /hyp .*lr0 \(0.02 vs 0.01\)/],
    ] as const
  ) {
    await assert.rejects(trainRun({ ...resume, [key]: value, explicit: [key] }, api), re, key);
  }
  api.yamls.length = 0;
  api.loads.length = 0;
  const res = await trainRun({ ...resume, data: "first.yaml", explicit: ["data", "project", "name"] }, api);
  assert.deepEqual(res.rows.map((r) => r.epoch), [0, 1]);
  assert.deepEqual(
    [...new Set(api.yamls)],
    ["first.yaml"],
    "every dataset the resumed run loads is the run's",
  );
  assert.ok(api.loads.every((o) => o.img === 64), "the run's image size");
  assert.deepEqual(
    [...new Set(api.loads.filter((o) => o.augment).map((o) => o.batch))],
    [4],
    "the run's batch",
  );
  await assert.rejects(
    trainRun({ ...resume, name: "never-started" }, api),
    /Cannot resume from .*never-started\/weights: no training state/,
  );
  const straight = await trainRun(base("straight"), recordingApi());
  assert.deepEqual(res.rows, straight.rows, "same rows as the uninterrupted run (hyp and nbs from the run)");
});

Deno.test("commitFiles(): a kill before the manifest keeps the old set, after it recovery completes the new one", async () => {
  const dir = await Deno.makeTempDir({ dir: root });
  const set = (a: string, b: string) => [
    { name: "a", write: (p: string) => Deno.writeTextFile(p, a) },
    { name: "b", write: (p: string) => Deno.writeTextFile(p, b) },
  ];
  await commitFiles(dir, set("a1", "b1"));
  const read = async () => [await Deno.readTextFile(`${dir}/a`), await Deno.readTextFile(`${dir}/b`)];
  const names = async () => [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  // killed while writing: new files beside the old ones, no manifest -> rolled back
  await Deno.writeTextFile(`${dir}/a.next`, "a2");
  await Deno.writeTextFile(`${dir}/b.next.123.4.tmp`, "b2 half");
  await recoverCommit(dir);
  assert.deepEqual([await read(), await names()], [["a1", "b1"], ["a", "b"]]);
  // killed after the manifest, one rename done -> rolled forward
  await Deno.writeTextFile(`${dir}/a`, "a3");
  await Deno.writeTextFile(`${dir}/b.next`, "b3");
  await Deno.writeTextFile(`${dir}/commit.json`, JSON.stringify({ files: ["a", "b"] }));
  await recoverCommit(dir);
  assert.deepEqual([await read(), await names()], [["a3", "b3"], ["a", "b"]]);
  // a failing write (disk full): nothing new stays, no temp file
  const full = [...set("a4", "b4").slice(0, 1), {
    name: "b",
    write: () => Promise.reject(new Error("ENOSPC")),
  }];
  await assert.rejects(commitFiles(dir, full), /ENOSPC/);
  assert.deepEqual([await read(), await names()], [["a3", "b3"], ["a", "b"]]);
  // a write whose temp file is complete but cannot be renamed (the target is a non-empty folder)
  await Deno.mkdir(`${dir}/c/d`, { recursive: true });
  await assert.rejects(writeAtomic(`${dir}/c`, "c"));
  assert.deepEqual(await names(), ["a", "b", "c"], "the temp file is removed");
});

Deno.test("trainRun() never saves a non-finite state: after the stop the checkpoint on disk is finite", async () => {
  // Images scaled by 1e30 in the last batch of epoch 1: BatchNorm's running variance overflows to inf
  // while the loss of that batch (batch statistics) can stay finite.
  const inner = syntheticDataApi({ train: 8, val: 4 });
  const poisoned: DataApi = {
    loadDataset: inner.loadDataset,
    createLoader: (ds: Dataset, o: LoaderOptions): AsyncIterable<Batch> => ({
      async *[Symbol.asyncIterator]() {
        let i = 0;
        for await (const b of syntheticLoader(ds, o)) {
          if (o.augment && o.epoch === 1 && i === 1) {
            yield { ...b, images: tf.tidy(() => tf.mul(b.images, 1e30)) as tf.Tensor4D };
            b.images.dispose();
          } else yield b;
          i++;
        }
      },
    }),
  };
  const err = await trainRun({ ...base("nonfinite"), epochs: 3 }, poisoned).then(() => null, (e: Error) => e);
  assert.ok(err, "the run stops");
  assert.match(
    err.message,
    /state after epoch 1 is not finite \(tensor model\.\d+\.bn\.running_var .* holds Infinity/,
  );
  assert.match(err.message, /not saved, the last finite checkpoint stays in/);
  for (const f of ["last", "last.state"]) {
    const file = await readSafetensors(`${root}/nonfinite/weights/${f}.safetensors`);
    for (const [k, t] of file.tensors) {
      if (t.dtype === "F32") {
        assert.ok((t.data as Float32Array).every(Number.isFinite), `${f}: ${k} is finite`);
      }
    }
  }
  // initial weights with a NaN are refused too, naming the tensor
  const file = await readSafetensors(`${root}/nonfinite/weights/last.safetensors`);
  (file.tensors.get("model.2.conv.weight")!.data as Float32Array)[5] = NaN;
  await writeSafetensors(`${root}/nan.safetensors`, file.tensors, file.metadata);
  await assert.rejects(
    trainRun({ ...base("from-nan"), weights: `${root}/nan.safetensors` }, inner),
    /Cannot start from --weights .*nan\.safetensors: tensor model\.2\.conv\.weight \[16,16,3,3\] holds NaN at element 5/,
  );
});
