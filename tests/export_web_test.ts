// The web page in a real browser: Debian's chromium, headless, driven by npm puppeteer-core. `deno task web` builds
// web/dist; the page loads a model file and a shipped image over a loopback server, and its boxes must equal
// `deno task detect`'s for the same weights (1e-3 px, same classes), on the backend it picks itself (webgpu, else
// webgl, else wasm) and on wasm. Screenshots go to runs/export_web_test/.
import puppeteer from "puppeteer-core";
import { equal, ok } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { loadModelConfig } from "../lib/models/shipped.ts";
import { buildModelSpec } from "../lib/models/build.ts";
import { saveModel } from "../lib/models/load.ts";
import { disposeWeights } from "../lib/graph/weights.ts";
import { randomModelWeights } from "../lib/testing/random_model.ts";

const repo = new URL("../", import.meta.url).pathname;
const TYPES: Record<string, string> = {
  html: "text/html",
  js: "text/javascript",
  css: "text/css",
  wasm: "application/wasm",
  png: "image/png",
};

interface Record_ {
  class: number;
  confidence: number;
  box: number[];
}

async function run(cmd: string, args: string[]): Promise<string> {
  const r = await new Deno.Command(cmd, { args, cwd: repo, stdout: "piped", stderr: "piped" }).output();
  const out = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  equal(r.code, 0, `${cmd} ${args.join(" ")}:\n${out}`);
  return out;
}

function compare(got: Record_[], want: Record_[], what: string): number {
  equal(got.length, want.length, `${what}: number of detections`);
  let worst = 0;
  want.forEach((w, i) => {
    equal(got[i].class, w.class, `${what}: class of detection ${i}`);
    ok(Math.abs(got[i].confidence - w.confidence) < 1e-4, `${what}: confidence of detection ${i}`);
    w.box.forEach((v, k) => (worst = Math.max(worst, Math.abs(got[i].box[k] - v))));
  });
  ok(worst <= 1e-3, `${what}: boxes differ by up to ${worst} px`);
  return worst;
}

Deno.test("web page: boxes in headless chromium equal deno task detect's", async () => {
  await run("bash", [`${repo}scripts/setup_export.sh`, "chromium"]);
  await initBackend("wasm", { quiet: true });
  const dir = await Deno.makeTempDir({ prefix: "export_web_" });
  const shots = `${repo}runs/export_web_test`;
  await Deno.mkdir(shots, { recursive: true });
  await run(Deno.execPath(), ["run", "-A", `${repo}cli/web.ts`, "--out", `${dir}/dist`]);

  // A PGI model file: the page (like detect) runs its main branch.
  const spec = buildModelSpec(await loadModelConfig(`${repo}data/models/yolov9-n.yaml`));
  const weights = randomModelWeights(spec, { seed: 2, clsBias: 0 });
  const names = Array.from({ length: spec.nc }, (_, i) => `digit${i}`);
  await saveModel(`${dir}/model.safetensors`, spec, weights, { metadata: { names: JSON.stringify(names) } });
  disposeWeights(weights);
  const image = `${repo}data/images/chelsea.png`;
  await run(Deno.execPath(), [
    "run",
    "-A",
    `${repo}cli/detect.ts`,
    "--weights",
    `${dir}/model.safetensors`,
    "--source",
    image,
    "--img",
    "160",
    "--backend",
    "wasm",
    "--out",
    `${dir}/detect`,
  ]);
  const want: Record_[] = JSON.parse(await Deno.readTextFile(`${dir}/detect/detections.json`))[0].detections;
  ok(want.length > 0, "the test needs detections");

  const files: Record<string, string> = {
    "/model.safetensors": `${dir}/model.safetensors`,
    "/chelsea.png": image,
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const p = new URL(req.url).pathname;
    const file = files[p] ?? `${dir}/dist${p === "/" ? "/index.html" : p}`;
    try {
      const type = TYPES[file.split(".").pop()!] ?? "application/octet-stream";
      return new Response(await Deno.readFile(file), { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const browser = await puppeteer.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--enable-unsafe-swiftshader"],
  });
  try {
    // The backend the page picks, model and image from URL parameters; then wasm, both chosen in the file inputs.
    for (const forced of [null, "wasm"]) {
      const page = await browser.newPage();
      await page.setViewport({ width: 900, height: 900 });
      const base = `http://127.0.0.1:${server.addr.port}/?img=160`;
      const done = "window.yolo && ['done', 'error'].includes(window.yolo.state)";
      if (!forced) await page.goto(`${base}&weights=/model.safetensors&image=/chelsea.png`);
      else {
        await page.goto(`${base}&backend=${forced}`);
        await page.waitForFunction("window.yolo && window.yolo.state !== 'loading'", { timeout: 60_000 });
        await (await page.$("#weights"))!.uploadFile(`${dir}/model.safetensors`);
        await page.waitForFunction("window.yolo.model !== undefined", { timeout: 60_000 });
        await (await page.$("#image"))!.uploadFile(image);
      }
      await page.waitForFunction(done, { timeout: 120_000 });
      const state = await page.evaluate("window.yolo") as {
        state: string;
        backend: string;
        ms: number;
        error?: string;
        detections: Record_[];
      };
      equal(state.state, "done", state.error);
      ok(["webgpu", "webgl", "wasm"].includes(state.backend), state.backend);
      if (forced) equal(state.backend, forced);
      const worst = compare(state.detections, want, `page on ${state.backend}`);
      const shot = `${shots}/page_${state.backend}.png`;
      await page.screenshot({ path: shot, fullPage: true });
      ok((await Deno.stat(shot)).size > 10_000);
      console.log(
        `${state.backend}: ${want.length} detections equal detect's (boxes within ${
          worst.toExponential(1)
        } px), ${state.ms.toFixed(0)} ms; ${shot}`,
      );
      await page.close();
    }
  } finally {
    await browser.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
