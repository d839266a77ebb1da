/**
 * `deno task val`: evaluate a model on a dataset split as `val.py` / `val_dual.py` (dual and triple
 * models are scored on their main branch). Prints the per-class table (P, R, mAP50, mAP50-95 with
 * `process_batch` / `ap_per_class`) and COCO's 12 statistics (ground truth and predictions built in memory,
 * pycocotools semantics); writes the confusion matrix and PR curve (PNG + SVG) and, with `--save-json`,
 * the predictions in COCO format.
 *
 *   deno task val --weights W --data D [--cfg C] [--img 640] [--batch 32] [--conf 0.001] [--iou 0.7] [--max-det 300]
 *     [--split val] [--save-json] [--project runs/val] [--name exp] [--json] [--backend X]
 *     [--precision fp32|bf16|winograd]
 * `--precision bf16` fuses the weights and runs the fused convolutions in bfloat16 (native backend with
 * AVX512_BF16 or AMX), as val.py runs half precision on a GPU; `winograd` fuses them and runs the 3x3
 * stride-1 ones as float32 Winograd F(4x4, 3x3) (native backend with AVX-512).
 * @module
 */
import { parseArgs } from "node:util";
import { disposeWeights } from "../lib/graph/weights.ts";
import { datasetReport, loadDataset } from "../lib/data/dataset.ts";
import { createLoader } from "../lib/data/loader.ts";
import type { SplitName } from "../lib/data/dataset_yaml.ts";
import { cocoEvaluate, loadCocoResults, parseCocoGroundTruth } from "../lib/eval/mod.ts";
import { cocoGroundTruth, validate } from "../lib/infer/mod.ts";
import { DEFAULT_HYP, incrementPath, makeConsole, writeValPlots } from "../lib/train/mod.ts";
import { loadModelAt, precisionFlag, runMain, setupBackend } from "./_common.ts";
import { BACKEND_HELP, imgFlag, intFlag, needNumber, UNIT } from "./args.ts";

const USAGE = `usage: deno task val --weights W --data D [options]
  --weights W     model file (.safetensors with embedded config, or an official .pt)
  --cfg C         model config name or YAML, for weights that carry none
  --data D        dataset YAML, or "mnist-det"
  --split S       val (default), train or test
  --img N (640)   --batch N (32)   --conf X (0.001)   --iou X (0.7)   --max-det N (300)
  --save-json     write the predictions as COCO JSON
  --project P (runs/val)   --name N (exp)   --json   print the results as JSON
  --precision P   fp32 (default); bf16: fused convolutions in bfloat16 (native, AVX512_BF16 or AMX);
                  winograd: fused 3x3 convolutions as float32 Winograd (native, AVX-512)
  ${BACKEND_HELP}`;

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      weights: { type: "string" }, cfg: { type: "string" }, data: { type: "string" }, split: { type: "string", default: "val" },
      img: { type: "string", default: "640" }, imgsz: { type: "string" }, batch: { type: "string", default: "32" },
      "batch-size": { type: "string" }, conf: { type: "string", default: "0.001" }, iou: { type: "string", default: "0.7" },
      "max-det": { type: "string", default: "300" }, "save-json": { type: "boolean" }, json: { type: "boolean" },
      project: { type: "string", default: "runs/val" }, name: { type: "string", default: "exp" },
      backend: { type: "string" }, precision: { type: "string", default: "fp32" }, help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!values.weights || !values.data) throw new Error(`--weights and --data are required\n${USAGE}`);
  const { precision } = precisionFlag(values.precision, await setupBackend(values.backend));
  const img = imgFlag(values.imgsz ?? values.img), batch = intFlag(values["batch-size"] ?? values.batch, "batch", 1);
  const model = await loadModelAt(values.weights, { cfg: values.cfg, precision });
  const ds = await loadDataset(values.data, values.split as SplitName);
  for (const line of datasetReport(ds)) console.error(line);
  if (model.spec.nc !== ds.names.length) {
    throw new Error(`${values.weights} (${model.spec.nc} classes) was trained on a different dataset than ${values.data} (${ds.names.length} classes)`);
  }
  const log = makeConsole(!!values.json);
  const v = await validate(model.spec, model.weights, ds, {
    loader: createLoader, batch, img, hyp: { ...DEFAULT_HYP }, conf: needNumber(values.conf, "conf", UNIT), iou: needNumber(values.iou, "iou", UNIT),
    maxDet: intFlag(values["max-det"], "max-det", 1), losses: false, onWarning: (w) => console.error(`warning: ${w.message}`), precision,
  });
  disposeWeights(model.weights);
  log.valTable(v, true);
  const gt = parseCocoGroundTruth(cocoGroundTruth(v.gt, ds.names), `${ds.name} (in memory)`, { allowEmptyBoxes: true });
  const coco = cocoEvaluate(gt, loadCocoResults(gt, v.predictions, "predictions"));
  if (!values.json) {
    console.log(`\nCOCO evaluation (pycocotools semantics) of ${v.predictions.length} detections on ${gt.imageIds.length} images:`);
    for (const line of coco.lines) console.log(line);
  }
  const dir = await incrementPath(`${values.project}/${values.name}`);
  await Deno.mkdir(dir, { recursive: true });
  await writeValPlots(dir, v, ds.names);
  if (values["save-json"]) {
    const stem = values.weights.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, "");
    await Deno.writeTextFile(`${dir}/${stem}_predictions.json`, JSON.stringify(v.predictions));
  }
  if (values.json) {
    console.log(JSON.stringify({
      metrics: { precision: v.mp, recall: v.mr, mAP50: v.map50, "mAP50-95": v.map },
      per_class: v.perClass, coco: coco.stats, speed_ms: v.speed, dir,
    }));
  } else console.log(`Results saved to ${dir}`);
});
