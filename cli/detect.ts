/**
 * `deno task detect`: run a model on an image or a folder of images as `detect.py` / `detect_dual.py`;
 * writes each image with labelled boxes, `labels/<stem>.txt` (YOLO format `cls cx cy w h conf`) and
 * `detections.json` into the output folder. An image that cannot be decoded is skipped with a warning naming it.
 *
 *   deno task detect --weights W --source <image|folder> [--cfg C] [--conf 0.25] [--iou 0.45] [--img 640]
 *     [--max-det 1000] [--out runs/detect/exp] [--backend X] [--precision fp32|bf16|winograd]
 * `--precision bf16` fuses the weights (BatchNorm into the convolutions, as detect.py's `fuse=True`) and
 * runs the fused convolutions in bfloat16 (native backend with AVX512_BF16 or AMX); `winograd` fuses them
 * and runs the 3x3 stride-1 ones as float32 Winograd F(4x4, 3x3) (native backend with AVX-512).
 * @module
 */
import { parseArgs } from "node:util";
import * as path from "node:path";
import { disposeWeights } from "../lib/graph/weights.ts";
import { decodeImage, encodeJpeg, IMG_FORMATS } from "../lib/data/image_io.ts";
import { drawDetections } from "../lib/infer/draw_detections.ts";
import { encodePng } from "../lib/viz/png.ts";
import { detectImage, detectionRecords, yoloTxtLines } from "../lib/infer/mod.ts";
import { incrementPath } from "../lib/train/mod.ts";
import { loadModelAt, precisionFlag, runMain, setupBackend } from "./_common.ts";
import { BACKEND_HELP, imgFlag, intFlag, needNumber, UNIT } from "./args.ts";
import { writeJsonAtomic } from "../lib/io/atomic.ts";

const USAGE = `usage: deno task detect --weights W --source <image|folder> [options]
  --cfg C           model config name or YAML, for weights that carry none
  --conf X (0.25)   --iou X (0.45)   --img N (640)   --max-det N (1000)
  --out DIR         output folder (default runs/detect/exp, incremented when it exists)
  --precision P     fp32 (default); bf16: fused convolutions in bfloat16 (native, AVX512_BF16 or AMX);
                    winograd: fused 3x3 convolutions as float32 Winograd (native, AVX-512)
  ${BACKEND_HELP}`;

async function listSources(source: string): Promise<string[]> {
  const st = await Deno.stat(source);
  if (st.isFile) return [source];
  const out: string[] = [];
  for await (const e of Deno.readDir(source)) {
    if (e.isFile && IMG_FORMATS.includes(e.name.split(".").pop()!.toLowerCase())) out.push(path.join(source, e.name));
  }
  if (!out.length) throw new Error(`Cannot detect: no images (${IMG_FORMATS.join(", ")}) in ${source}`);
  return out.sort();
}

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      weights: { type: "string" }, cfg: { type: "string" }, source: { type: "string" }, conf: { type: "string", default: "0.25" },
      iou: { type: "string", default: "0.45" }, img: { type: "string", default: "640" }, imgsz: { type: "string" },
      "max-det": { type: "string", default: "1000" }, out: { type: "string" }, backend: { type: "string" },
      precision: { type: "string", default: "fp32" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!values.weights || !values.source) throw new Error(`--weights and --source are required\n${USAGE}`);
  const { precision } = precisionFlag(values.precision, await setupBackend(values.backend));
  const model = await loadModelAt(values.weights, { cfg: values.cfg, precision });
  let names: string[] = Array.from({ length: model.spec.nc }, (_, i) => String(i));
  try {
    const n = JSON.parse(model.metadata.names ?? "null");
    if (Array.isArray(n) && n.length === model.spec.nc) names = n.map(String);
  } catch {
    // keep numeric names
  }
  const out = values.out ?? await incrementPath("runs/detect/exp");
  await Deno.mkdir(`${out}/labels`, { recursive: true });
  const opts = {
    img: imgFlag(values.imgsz ?? values.img), conf: needNumber(values.conf, "conf", UNIT), iou: needNumber(values.iou, "iou", UNIT),
    maxDet: intFlag(values["max-det"], "max-det", 1), precision,
  };
  const records = [], skipped: string[] = [];
  for (const file of await listSources(values.source)) {
    const t0 = performance.now();
    let image;
    try {
      image = await decodeImage(file);
    } catch (e) {
      console.error(`warning: ${file}: cannot decode the image, skipped: ${(e as Error).message.split("\n")[0]}`);
      skipped.push(file);
      continue;
    }
    const d = await detectImage(model.spec, model.weights, image, opts);
    const drawn = drawDetections(image, d, names);
    const stem = path.basename(file).replace(/\.[^.]*$/, "");
    const isJpeg = /\.jpe?g$/i.test(file);
    await Deno.writeFile(`${out}/${stem}${isJpeg ? ".jpg" : ".png"}`, isJpeg ? await encodeJpeg(drawn, 95) : await encodePng(drawn));
    await Deno.writeTextFile(`${out}/labels/${stem}.txt`, yoloTxtLines(d).map((l) => l + "\n").join(""));
    records.push({ image: file, width: d.width, height: d.height, detections: detectionRecords(d, names) });
    const counts = new Map<string, number>();
    for (let i = 0; i < d.n; i++) counts.set(names[d.rows[6 * i + 5]], (counts.get(names[d.rows[6 * i + 5]]) ?? 0) + 1);
    const summary = [...counts].map(([k, c]) => `${c} ${k}`).join(", ") || "(no detections)";
    console.error(`${file}: ${image.width}x${image.height} ${summary}, ${(performance.now() - t0).toFixed(0)}ms`);
  }
  disposeWeights(model.weights);
  await writeJsonAtomic(`${out}/detections.json`, records);
  if (skipped.length) console.error(`${skipped.length} of ${records.length + skipped.length} images could not be decoded and were skipped`);
  console.log(`Results saved to ${out}`);
});
