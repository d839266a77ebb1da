/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The detection web page (built by `deno task web` into `web/dist/`): loads a model's weights (safetensors or
 * `.pt`, with the config they carry or a chosen YAML), runs the library's own model building, forward, decoding
 * and NMS (`detectImage`, the `deno task detect` path) with tfjs on webgpu, else webgl, else wasm, and draws the
 * labelled boxes. URL parameters do the same without clicks: `?weights=URL&cfg=URL&image=URL&img=640&conf=0.25
 * &iou=0.45&backend=wasm`. The outcome is also published as `window.yolo` (state, backend, ms, detections).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { loadWeightsBytes } from "../lib/io/weights_file.ts";
import { parseModelConfig } from "../lib/graph/config.ts";
import { type LoadedModel, modelFromWeights } from "../lib/models/load.ts";
import { disposeWeights } from "../lib/graph/weights.ts";
import { detectImage, detectionRecords } from "../lib/infer/detect.ts";
import type { RgbImage } from "../lib/data/image.ts";
import { drawDetections } from "../lib/infer/draw_detections.ts";

/** What the page publishes on `window.yolo`. */
interface PageState {
  state: "loading" | "ready" | "done" | "error";
  backend?: string;
  model?: string;
  ms?: number;
  image?: string;
  detections?: ReturnType<typeof detectionRecords>;
  error?: string;
}

const BACKENDS = ["webgpu", "webgl", "wasm"];
const params = new URLSearchParams(location.search);
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const page: PageState = { state: "loading" };
(globalThis as unknown as { yolo: PageState }).yolo = page;
let model: LoadedModel | null = null;
let modelName = "";
let image: { rgb: RgbImage; name: string } | null = null;

function status(text: string, error = false): void {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}

function fail(e: unknown): void {
  page.state = "error";
  page.error = (e as Error).message ?? String(e);
  status(`error: ${page.error}`, true);
}

/** The first backend of webgpu, webgl, wasm that initialises (or the one asked for). */
async function chooseBackend(forced: string | null): Promise<string> {
  setWasmPaths(new URL("./", location.href).href);
  for (const name of forced ? [forced] : BACKENDS) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        tf.tidy(() => tf.add(tf.ones([2]), 1).dataSync()); // a backend can register and still fail on first use
        return name;
      }
    } catch {
      // try the next one
    }
  }
  throw new Error(`no tfjs backend could start (tried ${forced ?? BACKENDS.join(", ")})`);
}

/** Decode an image file to RGB without colour management, as the CLI decodes it. */
async function decode(blob: Blob): Promise<RgbImage> {
  const bmp = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  const c = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = c.getContext("2d")!;
  ctx.drawImage(bmp, 0, 0);
  const rgba = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
  const pixels = new Uint8Array(bmp.width * bmp.height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    pixels[j] = rgba[i];
    pixels[j + 1] = rgba[i + 1];
    pixels[j + 2] = rgba[i + 2];
  }
  return { pixels, width: bmp.width, height: bmp.height };
}

function show(rgb: RgbImage): void {
  const canvas = $<HTMLCanvasElement>("canvas");
  canvas.width = rgb.width;
  canvas.height = rgb.height;
  const rgba = new Uint8ClampedArray(rgb.width * rgb.height * 4);
  for (let i = 0, j = 0; j < rgb.pixels.length; i += 4, j += 3) {
    rgba.set(rgb.pixels.subarray(j, j + 3), i);
    rgba[i + 3] = 255;
  }
  canvas.getContext("2d")!.putImageData(new ImageData(rgba, rgb.width, rgb.height), 0, 0);
}

async function setModel(
  bytes: Uint8Array,
  name: string,
  cfgText?: { text: string; name: string },
): Promise<void> {
  const file = await loadWeightsBytes(bytes, name);
  const cfg = cfgText ? parseModelConfig(cfgText.text, cfgText.name) : undefined;
  const next = modelFromWeights(file, name, cfg);
  if (model) disposeWeights(model.weights);
  model = next;
  modelName = name;
  page.model = `${next.spec.name} (${next.spec.nc} classes${
    next.spec.branches > 1 ? ", main branch of a PGI model" : ""
  })`;
}

function names(m: LoadedModel): string[] {
  try {
    const n = JSON.parse(m.metadata.names ?? "null");
    if (Array.isArray(n) && n.length === m.spec.nc) return n.map(String);
  } catch {
    // numeric names
  }
  return Array.from({ length: m.spec.nc }, (_, i) => String(i));
}

async function run(): Promise<void> {
  if (!model || !image) {
    page.state = "ready";
    return status(
      `${page.backend}: ${model ? `model ${modelName}, choose an image` : "choose a model"}${
        image ? "" : " and an image"
      }`,
    );
  }
  const opts = {
    img: Number($<HTMLInputElement>("img").value),
    conf: Number($<HTMLInputElement>("conf").value),
    iou: Number(params.get("iou") ?? 0.45),
    maxDet: Number(params.get("max-det") ?? 1000),
  };
  const t0 = performance.now();
  const d = await detectImage(model.spec, model.weights, image.rgb, opts);
  const ms = performance.now() - t0;
  const labels = names(model);
  show(drawDetections(image.rgb, d, labels));
  Object.assign(page, { state: "done", ms, image: image.name, detections: detectionRecords(d, labels) });
  status(
    `${page.backend} | ${page.model} | ${image.name} ${image.rgb.width}x${image.rgb.height} at ${opts.img}: ${d.n} detections in ${
      ms.toFixed(0)
    } ms`,
  );
  $("detections").innerHTML =
    "<tr><th>class</th><th>conf</th><th>x1</th><th>y1</th><th>x2</th><th>y2</th></tr>" +
    page.detections!.map((r) =>
      `<tr><td>${r.name}</td><td>${r.confidence.toFixed(3)}</td>${
        r.box.map((v) => `<td>${v.toFixed(1)}</td>`).join("")
      }</tr>`
    ).join("");
}

async function useFiles(files: File[]): Promise<void> {
  const weights = files.find((f) => /\.(safetensors|pt)$/i.test(f.name));
  const cfg = files.find((f) => /\.ya?ml$/i.test(f.name));
  const img = files.find((f) => f.type.startsWith("image/"));
  if (weights) {
    status(`loading ${weights.name} ...`);
    await setModel(
      new Uint8Array(await weights.arrayBuffer()),
      weights.name,
      cfg ? { text: await cfg.text(), name: cfg.name } : undefined,
    );
  }
  if (img) image = { rgb: await decode(img), name: img.name };
  await run();
}

async function fetchOk(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`Cannot fetch ${url}: HTTP ${r.status}`);
  return r;
}

async function main(): Promise<void> {
  page.backend = await chooseBackend(params.get("backend"));
  for (const id of ["img", "conf"]) if (params.has(id)) $<HTMLInputElement>(id).value = params.get(id)!;
  const w = params.get("weights");
  if (w) {
    const cfgUrl = params.get("cfg");
    const cfg = cfgUrl ? { text: await (await fetchOk(cfgUrl)).text(), name: cfgUrl } : undefined;
    await setModel(new Uint8Array(await (await fetchOk(w)).arrayBuffer()), w, cfg);
  }
  const imgUrl = params.get("image");
  if (imgUrl) {
    image = { rgb: await decode(await (await fetchOk(imgUrl)).blob()), name: imgUrl.split("/").pop()! };
  }
  for (const id of ["weights", "cfg", "image"]) {
    $<HTMLInputElement>(id).addEventListener("change", () => {
      const inputs = ["weights", "cfg", "image"].flatMap((k) => [...($<HTMLInputElement>(k).files ?? [])]);
      // A config alone applies to the chosen weights: reload them with it.
      useFiles(id === "image" ? [...($<HTMLInputElement>("image").files ?? [])] : inputs).catch(fail);
    });
  }
  for (const id of ["img", "conf"]) $(id).addEventListener("change", () => run().catch(fail));
  document.body.addEventListener("dragover", (e) => {
    e.preventDefault();
    document.body.classList.add("dragging");
  });
  document.body.addEventListener("dragleave", () => document.body.classList.remove("dragging"));
  document.body.addEventListener("drop", (e) => {
    e.preventDefault();
    document.body.classList.remove("dragging");
    useFiles([...(e.dataTransfer?.files ?? [])]).catch(fail);
  });
  await run();
}

main().catch(fail);
