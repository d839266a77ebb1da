/**
 * `deno task web`: build the detection page into `web/dist/` (`index.html`, `style.css`, `app.js` bundled from
 * `web/main.ts` for the browser, and the tfjs wasm binaries), to serve as static files:
 *
 *   deno task web [--out web/dist] [--serve [--port 8000]]
 *
 * `--serve` then serves the folder on http://127.0.0.1:PORT/ (any static server will do as well).
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { runMain } from "./_common.ts";

const root = fromFileUrl(new URL("../", import.meta.url));
const WASM_FILES = [
  "tfjs-backend-wasm.wasm",
  "tfjs-backend-wasm-simd.wasm",
  "tfjs-backend-wasm-threaded-simd.wasm",
];

/** The folder of an npm package as Deno installed it (node_modules of the project). */
function packageDir(name: string): string {
  return dirname(fromFileUrl(import.meta.resolve(`${name}/package.json`)));
}

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string", default: join(root, "web/dist") },
      serve: { type: "boolean" },
      port: { type: "string", default: "8000" },
    },
  });
  const out = values.out!;
  await Deno.mkdir(out, { recursive: true });
  const t0 = performance.now();
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "browser",
      "--minify",
      "-o",
      join(out, "app.js"),
      join(root, "web/main.ts"),
    ],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!r.success) throw new Error(`Cannot build the web page: deno bundle exited with ${r.code}`);
  for (const f of ["index.html", "style.css"]) await Deno.copyFile(join(root, "web", f), join(out, f));
  const wasm = join(packageDir("@tensorflow/tfjs-backend-wasm"), "dist");
  for (const f of WASM_FILES) await Deno.copyFile(join(wasm, f), join(out, f));
  const size = (await Deno.stat(join(out, "app.js"))).size;
  console.log(
    `built ${out}: app.js ${(size / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  if (values.serve) serve(out, Number(values.port));
});

const TYPES: Record<string, string> = {
  html: "text/html",
  js: "text/javascript",
  css: "text/css",
  wasm: "application/wasm",
};

/** Serve `dir` on the loopback address until the process is stopped. */
function serve(dir: string, port: number): void {
  const onListen = () => console.log(`serving ${dir} on http://127.0.0.1:${port}/`);
  Deno.serve({ hostname: "127.0.0.1", port, onListen }, async (req) => {
    const p = decodeURIComponent(new URL(req.url).pathname);
    if (p.includes("..")) return new Response("bad path", { status: 400 });
    const file = join(dir, p === "/" ? "index.html" : p);
    try {
      const type = TYPES[file.split(".").pop()!] ?? "application/octet-stream";
      return new Response(await Deno.readFile(file), { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}
