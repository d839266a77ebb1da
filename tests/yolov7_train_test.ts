// trainRun() on the anchor-based YOLOv7 (a tiny yolov7-shaped config, in-memory synthetic data): the
// YOLOv7 recipe by default (hyp.scratch.p5), finite falling losses, validation through the IDetect
// decoding, and weights that load back with their anchors.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { initBackend } from "../lib/backend/backend.ts";
import { loadModel } from "../lib/models/load.ts";
import { predict } from "../lib/models/model.ts";
import { disposeWeights } from "../lib/graph/weights.ts";
import { getPath } from "../lib/nn/tree.ts";
import { loadHyp, parseResultsCsv, trainRun } from "../lib/train/mod.ts";
import { HYP_SCRATCH_HIGH, HYP_SCRATCH_P5 } from "../lib/data/hyp.ts";
import { syntheticDataApi, TINY_YOLOV7 } from "./fixtures/train_data.ts";

await initBackend("wasm", { quiet: true });

Deno.test("hyp.scratch.p5.yaml loads as YOLOv7's table; files must carry every key of one official table", async () => {
  const root = new URL("../", import.meta.url).pathname;
  assert.deepEqual(await loadHyp(`${root}data/hyps/hyp.scratch.p5.yaml`), { ...HYP_SCRATCH_P5 });
  assert.deepEqual(await loadHyp(`${root}data/hyps/hyp.scratch-high.yaml`), { ...HYP_SCRATCH_HIGH });
  const dir = await Deno.makeTempDir();
  const { loss_ota: _, ...partial } = HYP_SCRATCH_P5;
  await Deno.writeTextFile(`${dir}/h.yaml`, Object.entries(partial).map(([k, v]) => `${k}: ${v}`).join("\n"));
  await assert.rejects(loadHyp(`${dir}/h.yaml`), /h\.yaml: missing key dfl \(of hyp\.scratch-high\) or loss_ota \(of hyp\.scratch\.p5\)/);
  assert.equal((await loadHyp({ lr0: 0.02 }, { defaults: HYP_SCRATCH_P5 })).lrf, 0.1);
  assert.equal((await loadHyp({ lr0: 0.02 })).lrf, 0.01);
});

Deno.test("trainRun() trains the anchor-based YOLOv7 with hyp.scratch.p5 and ComputeLossOTA", async () => {
  const root = await Deno.makeTempDir({ prefix: "yolov7_train_" });
  const res = await trainRun({
    cfg: TINY_YOLOV7, data: "synthetic", epochs: 3, batch: 4, img: 64, seed: 1, project: root, name: "v7",
    quiet: true, nbs: 4,
  }, syntheticDataApi({ train: 16, val: 8 }));
  const hyp = parse(await Deno.readTextFile(`${res.dir}/hyp.yaml`));
  assert.deepEqual([hyp.lrf, hyp.box, hyp.obj, hyp.anchor_t, hyp.loss_ota], [0.1, 0.05, 0.7, 4.0, 1]);
  // YOLOv7's items are [box, cls, obj]: results.csv names them; the rows keep them in the three loss slots.
  const csv = await Deno.readTextFile(`${res.dir}/results.csv`);
  const head = csv.split("\n")[0].split(",").map((c) => c.trim());
  assert.deepEqual(head.filter((c) => c.endsWith("_loss")), [
    "train/box_loss", "train/cls_loss", "train/obj_loss", "val/box_loss", "val/cls_loss", "val/obj_loss",
  ]);
  const back = parseResultsCsv(csv);
  assert.ok(Math.abs(back[2]["train/dfl_loss"] - res.rows[2]["train/dfl_loss"]) <= 1e-4 * res.rows[2]["train/dfl_loss"]);
  const total = (r: (typeof res.rows)[number]) => r["train/box_loss"] + r["train/cls_loss"] + r["train/dfl_loss"];
  assert.ok(res.rows.every((r) => Number.isFinite(total(r)) && r["train/box_loss"] > 0 && r["val/box_loss"] > 0));
  assert.ok(total(res.rows[2]) < total(res.rows[0]), "the loss falls");
  const m = await loadModel(`${res.dir}/weights/best.safetensors`);
  // The identity branch's BatchNorm statistics were updated in training like every other.
  const idVar = getPath(m.weights, "model.12.rbr_identity.running_var") as tf.Tensor;
  assert.ok(idVar.dataSync().some((v) => v !== 1));
  assert.deepEqual(m.spec.layers[m.spec.layers.length - 1].args.anchors, TINY_YOLOV7.anchors);
  const y = tf.tidy(() => predict(m.spec, m.weights, tf.zeros([1, 64, 64, 3]) as tf.Tensor4D));
  assert.deepEqual(m.spec.strides, [4, 8]);
  assert.deepEqual(y.shape, [1, 4 + 2, 3 * (16 * 16 + 8 * 8)]);
  y.dispose();
  disposeWeights(m.weights);
});
