/**
 * `deno task web`: build the detection page into `web/dist/` (`index.html`, `style.css`, `app.js` bundled from
 * `web/main.ts` for the browser, and the tfjs wasm binaries), to serve as static files:
 *
 *   deno task web [--out web/dist]
 *   python3 -m http.server -d web/dist 8000   (or any static server), then open http://127.0.0.1:8000/
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { runMain } from "./_common.ts";

const root = fromFileUrl(new URL("../", import.meta.url));

/** The folder of an npm package as Deno installed it (node_modules of the project). */
function packageDir(name: string): string {
  return dirname(fromFileUrl(import.meta.resolve(`${name}/package.json`)));
}

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: { out: { type: "string", default: join(root, "web/dist") } },
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
  for (
    const f of [
      "tfjs-backend-wasm.wasm",
      "tfjs-backend-wasm-simd.wasm",
      "tfjs-backend-wasm-threaded-simd.wasm",
    ]
  ) {
    await Deno.copyFile(join(wasm, f), join(out, f));
  }
  const size = (await Deno.stat(join(out, "app.js"))).size;
  console.log(
    `built ${out}: app.js ${(size / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
});
