// Console and file formats of training / validation / detection against Python's formatting, val.py's box
// mapping, the COCO export and the plots; plus validate()'s mAP against COCO evaluation of the same run.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { initWeights, parseModelConfig } from "../lib/graph/mod.ts";
import { buildModelSpec } from "../lib/models/mod.ts";
import { disposeWeights } from "../lib/graph/weights.ts";
import { assertAllClose } from "../lib/testing/all_close.ts";
import { cocoEvaluate, loadCocoResults, parseCocoGroundTruth } from "../lib/eval/mod.ts";
import { formatG } from "../lib/io/format_g.ts";
import { cocoGroundTruth, cocoImageId, cocoImageIds, cocoPredictions, scaleBoxesToOriginal, validate, yoloTxtLines } from "../lib/infer/mod.ts";
import { type EpochRow, formatInterval, parseResultsCsv, progressLine, resultsCsv, trainHeader, valHeader, valRow } from "../lib/train/mod.ts";
import { confusionMatrixSvg, prCurveSvg, resultsSvg, svgToPng } from "../lib/viz/plots.ts";
import { syntheticDataset, syntheticLoader, tinyConfig } from "./fixtures/train_data.ts";

await initBackend("wasm", { quiet: true });

Deno.test("formatG() reproduces Python's %g (values printed by python3)", () => {
  const vals = [4.77834, 0.0003, 1e-5, 123456.0, 2.95, 100.0, 0.208, -0.000123456, 1.5, 0.5, 2.5e-7, 99999.5, 0.0001];
  assert.deepEqual(vals.map((v) => formatG(v, 4)), ["4.778", "0.0003", "1e-05", "1.235e+05", "2.95", "100", "0.208", "-0.0001235", "1.5", "0.5", "2.5e-07", "1e+05", "0.0001"]);
  assert.deepEqual(vals.map((v) => formatG(v, 3)), ["4.78", "0.0003", "1e-05", "1.23e+05", "2.95", "100", "0.208", "-0.000123", "1.5", "0.5", "2.5e-07", "1e+05", "0.0001"]);
  assert.deepEqual([formatG(0.53125, 6), formatG(3, 6), formatG(0.123456789, 6), formatG(0, 4)], ["0.53125", "3", "0.123457", "0"]);
});

Deno.test("console lines: official column headers, tqdm-style bar, val.py rows", () => {
  assert.equal(trainHeader(), "      Epoch    GPU_mem   box_loss   cls_loss   dfl_loss  Instances       Size");
  assert.equal(valHeader(), "                 Class     Images  Instances          P          R      mAP50   mAP50-95");
  assert.equal(valRow("all", 200, 712, [0.91234, 0.5, 0.61, 0.0004]), "                   all        200        712      0.912        0.5       0.61     0.0004");
  const line = progressLine({ epoch: 3, epochs: 10, memBytes: 1.234e9, meanLoss: [4.77834, 2.95, 1.5], instances: 37, size: 160, done: 5, total: 10, elapsed: 10 });
  assert.equal(line, "        3/9      1.23G      4.778       2.95        1.5         37        160:  50%|█████     | 5/10 [00:10<00:10,  2.00s/it]");
  assert.deepEqual([formatInterval(65), formatInterval(3725)], ["01:05", "1:02:05"]);
});

Deno.test("results.csv: '%20s,' header and '%20.5g,' values, read back", () => {
  const row = { epoch: 0, "train/box_loss": 4.77834 } as unknown as EpochRow;
  for (const k of ["train/cls_loss", "train/dfl_loss", "metrics/precision", "metrics/recall", "metrics/mAP_0.5", "metrics/mAP_0.5:0.95", "val/box_loss", "val/cls_loss", "val/dfl_loss", "x/lr0", "x/lr1", "x/lr2"]) {
    (row as unknown as Record<string, number>)[k] = 0.0973;
  }
  const csv = resultsCsv([row]);
  const [head, line] = csv.split("\n");
  assert.ok(head.startsWith("               epoch,      train/box_loss,"));
  assert.ok(line.startsWith("                   0,              4.7783,              0.0973,"));
  assert.equal(parseResultsCsv(csv)[0]["train/box_loss"], 4.7783);
});

Deno.test("scaleBoxesToOriginal(): scale_boxes with ratio/pad, clipped to the original image", () => {
  const rows = Float32Array.from([26, 36, 106, 116, 0.9, 1, -10, 0, 200, 50, 0.5, 0]);
  scaleBoxesToOriginal(rows, 6, { orig: [100, 150], ratio: 0.5, pad: [6, 16] });
  assertAllClose(rows, [40, 40, 150, 100, 0.9, 1, 0, 0, 150, 68, 0.5, 0], { atol: 1e-5 });
});

Deno.test("COCO export: image ids as val.py, rounded predictions, pixel ground truth", () => {
  assert.equal(cocoImageId("a/b/000123.jpg"), 123);
  assert.equal(cocoImageId("a/cat.png"), "cat");
  assert.deepEqual(cocoImageIds(["x/1.jpg", "y/1.jpg"]), [0, 1], "duplicate stems fall back to indices");
  assert.deepEqual(cocoPredictions(7, [10.12345, 20, 30.5, 60, 0.9876543, 2]), [
    { image_id: 7, category_id: 2, bbox: [10.123, 20, 20.377, 40], score: 0.98765 },
  ]);
  const gt = cocoGroundTruth([{ id: 7, width: 200, height: 100, labels: [1, 0.5, 0.5, 0.2, 0.4] }], ["a", "b"]);
  assert.deepEqual((gt.annotations as unknown[])[0], { id: 1, image_id: 7, category_id: 1, bbox: [80, 30, 40, 40], area: 1600, iscrowd: 0 });
  assert.deepEqual(gt.categories, [{ id: 0, name: "a" }, { id: 1, name: "b" }]);
});

Deno.test("yoloTxtLines(): cls cx cy w h conf normalised, %g", () => {
  const lines = yoloTxtLines({ width: 200, height: 100, n: 1, rows: Float32Array.from([20, 10, 60, 50, 0.875, 3]) });
  assert.deepEqual(lines, ["3 0.2 0.3 0.2 0.4 0.875"]);
});

Deno.test("plots: SVG documents render to PNG", async () => {
  const rows = [0, 1, 2].map((e) => ({ epoch: e, "train/box_loss": 3 - e, "metrics/mAP_0.5": e / 4 }));
  for (const svg of [
    resultsSvg(rows),
    prCurveSvg([0, 0.5, 1], [[1, 0.8, 0], [1, 0.5, 0.2]], [0.7, 0.5], ["a", "b"]),
    confusionMatrixSvg([3, 1, 0, 0, 2, 1, 1, 0, 0], ["a", "b"]),
  ]) {
    assert.ok(svg.startsWith("<svg"));
    const png = await svgToPng(svg);
    assert.deepEqual(Array.from(png.subarray(1, 4)), [0x50, 0x4e, 0x47]);
  }
});

Deno.test("validate(): val.py metrics agree with COCO evaluation of the same predictions; no tensor leak", async () => {
  const spec = buildModelSpec(parseModelConfig(tinyConfig(2, true), "tiny"));
  const w = initWeights(spec, { seed: 1 });
  const ds = syntheticDataset(6, { size: 64, seed: 5 });
  const before = tf.memory().numTensors;
  const v = await validate(spec, w, ds, { loader: syntheticLoader, batch: 4, img: 64, hyp: {} });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(v.images, 6);
  assert.equal(v.instances, ds.paths.reduce((s, _, i) => s + ds.labels(i).length / 5, 0));
  assert.ok(v.loss.every((x) => x > 0 && Number.isFinite(x)), `val losses ${v.loss}`);
  assert.equal(v.gt.length, 6);
  const gt = parseCocoGroundTruth(cocoGroundTruth(v.gt, ds.names), "gt", { allowEmptyBoxes: true });
  const coco = cocoEvaluate(gt, loadCocoResults(gt, v.predictions, "dt"));
  // An untrained model: both near zero, and within a few points of each other.
  assert.ok(Math.abs(coco.stats[0] - v.map) < 0.05, `COCO AP ${coco.stats[0]} vs mAP50-95 ${v.map}`);
  assert.ok(v.predictions.length > 0 && v.predictions.length <= 6 * 300);
  disposeWeights(w);
});
