/**
 * `deno task setup`: installs the optional fast backends where this machine allows it, and says
 * what it got. `@tensorflow/tfjs-node(-gpu)` download libtensorflow in their install scripts, which
 * fails offline: that is reported and the project carries on with wasm (or the native backend).
 * @module
 */
import { runMain } from "./_common.ts";
import { nodeBindingInstalled } from "../lib/backend/backend.ts";

async function run(cmd: string[], cwd?: string): Promise<{ ok: boolean; tail: string }> {
  try {
    const out = await new Deno.Command(cmd[0], { args: cmd.slice(1), cwd, stdout: "piped", stderr: "piped" }).output();
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    const lines = text.replace(/\x1b\[[0-9;]*m/g, "").trim().split("\n");
    return { ok: out.success, tail: (lines.find((l) => /error/i.test(l)) ?? lines[lines.length - 1] ?? "").trim() };
  } catch (e) {
    return { ok: false, tail: (e as Error).message };
  }
}

await runMain(async () => {
  const root = new URL("..", import.meta.url).pathname;
  for (const pkg of ["@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"]) {
    if (pkg.endsWith("gpu") && !(await run(["nvidia-smi", "-L"])).ok) {
      console.log(`${pkg}: skipped (no NVIDIA GPU)`);
      continue;
    }
    const entry = await Deno.makeTempFile({ dir: root, prefix: ".setup_", suffix: ".ts" });
    await Deno.writeTextFile(entry, `import "npm:${pkg}@4.22.0";\n`);
    const r = await run(["deno", "install", `--allow-scripts=npm:${pkg}`, "--entrypoint", entry], root);
    await Deno.remove(entry);
    const ok = r.ok && (await nodeBindingInstalled(pkg));
    const why = r.ok ? "its native binding is missing (the libtensorflow download failed earlier)" : r.tail || "install failed";
    console.log(`${pkg}: ${ok ? "installed" : `not available (${why}); carrying on without it`}`);
  }
  const native = new URL("../scripts/setup_native.sh", import.meta.url).pathname;
  try {
    await Deno.stat(native);
    const r = await run(["bash", native], root);
    console.log(`native CPU library: ${r.ok ? "ready" : `not available (${r.tail})`}`);
  } catch {
    // no native backend in this checkout
  }
});
