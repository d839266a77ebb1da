/**
 * `deno task export`: write a model as ONNX (opset 17, optionally with End2End NMS and dynamic axes), as an
 * official-layout PyTorch checkpoint (`torch.load(weights_only=True)` loads it), or as safetensors. Dual/PGI
 * models export their main branch (auxiliary branch removed; `--keep-aux` keeps it in pt / safetensors).
 *
 *   deno task export --weights W [--cfg C] --format onnx|pt|safetensors [--img 640] [--fuse] [--nms]
 *     [--dynamic] [--ema] --out F
 * @module
 */
import { parseArgs } from "node:util";
import { loadModel } from "../lib/models/load.ts";
import { disposeWeights } from "../lib/graph/weights.ts";
import { writeAtomic } from "../lib/io/atomic.ts";
import { exportModel, parseFormat } from "../lib/export/export.ts";
import { runMain, setupBackend } from "./_common.ts";

const USAGE = `usage: deno task export --weights W [--cfg C] --format onnx|pt|safetensors --out F [options]
  --img N | HxW      ONNX image size (640; with --dynamic the size the graph is traced at)
  --batch N          ONNX fixed batch size (1)
  --fuse             fold BatchNorm and RepConvN (always done for ONNX; not for pt)
  --dynamic          ONNX: symbolic batch, height and width
  --nms              ONNX: End2End NMS outputs num_dets, det_boxes, det_scores, det_classes
  --conf X (0.25)    --iou X (0.45)    --max-det N (100)   NMS thresholds
  --ema              take the EMA weights of a .pt input
  --keep-aux         pt / safetensors: keep a PGI model's auxiliary branch (to go on training)
  --epoch N (-1)     --best-fitness X   pt: values stored with the weights
  --backend X        tensorflow | wasm | cpu`;

function imageSize(s: string): [number, number] {
  const parts = s.split(/[x,]/).map(Number);
  const [h, w] = parts.length === 1 ? [parts[0], parts[0]] : parts;
  if (parts.length > 2 || !Number.isInteger(h) || !Number.isInteger(w) || h <= 0 || w <= 0) {
    throw new RangeError(`Cannot export: --img ${s}: expected N or HxW (positive integers)`);
  }
  return [h, w];
}

function num(name: string, s: string, int = false): number {
  const v = Number(s);
  if (!Number.isFinite(v) || (int && !Number.isInteger(v))) {
    throw new RangeError(`Cannot export: --${name} ${s}: expected a number`);
  }
  return v;
}

await runMain(async () => {
  const { values: v } = parseArgs({
    args: Deno.args,
    options: {
      weights: { type: "string" },
      cfg: { type: "string" },
      format: { type: "string" },
      out: { type: "string" },
      img: { type: "string", default: "640" },
      batch: { type: "string", default: "1" },
      fuse: { type: "boolean" },
      nms: { type: "boolean" },
      dynamic: { type: "boolean" },
      ema: { type: "boolean" },
      "keep-aux": { type: "boolean" },
      conf: { type: "string", default: "0.25" },
      iou: { type: "string", default: "0.45" },
      "max-det": { type: "string", default: "100" },
      epoch: { type: "string", default: "-1" },
      "best-fitness": { type: "string" },
      backend: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (v.help) return console.log(USAGE);
  const format = parseFormat(v.format);
  if (!v.weights || !v.out) throw new Error(`--weights and --out are required\n${USAGE}`);
  await setupBackend(v.backend);
  const model = await loadModel(v.weights, { cfg: v.cfg, ema: v.ema });
  let names: string[] | undefined;
  try {
    const n = JSON.parse(model.metadata.names ?? "null");
    if (Array.isArray(n) && n.length === model.spec.nc) names = n.map(String);
  } catch {
    // no usable names: none are stored
  }
  const t0 = performance.now();
  const r = exportModel(model, {
    format,
    img: imageSize(v.img),
    batch: num("batch", v.batch, true),
    fuse: v.fuse,
    dynamic: v.dynamic,
    nms: v.nms
      ? { conf: num("conf", v.conf), iou: num("iou", v.iou), maxDet: num("max-det", v["max-det"], true) }
      : undefined,
    keepAux: v["keep-aux"],
    epoch: num("epoch", v.epoch, true),
    bestFitness: v["best-fitness"] === undefined ? null : num("best-fitness", v["best-fitness"]),
    names,
    source: v.weights,
  });
  disposeWeights(model.weights);
  try {
    await writeAtomic(v.out, r.bytes);
  } catch (e) {
    throw new Error(`Cannot write ${v.out}: ${(e as Error).message} (nothing was written)`);
  }
  if (r.stripped) console.log(`removed the auxiliary branch: ${model.spec.name} -> ${r.spec.name}`);
  const what = format === "onnx"
    ? `ONNX opset 17${v.nms ? " + End2End NMS" : ""}${v.dynamic ? ", dynamic axes" : ""}`
    : format;
  console.log(
    `wrote ${v.out}: ${r.spec.name} as ${what}${r.fused ? " (fused)" : ""}, ${
      (r.bytes.length / 1e6).toFixed(2)
    } MB` +
      ` in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
});
