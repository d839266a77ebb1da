/**
 * `deno task notebooks [--small] [--only 01,03] [--out runs/notebooks] [--timeout 1800] [--backend X]`:
 * executes every `notebooks/NN_*.ipynb` headless with the Deno kernel and fails on any cell error.
 * Installs what is missing first (scripts/setup_jupyter.sh: Debian's Jupyter packages and
 * `deno jupyter --install --force`); on a machine without Jupyter that is not Debian it stops with a
 * clear message. Before running, the code cells of each notebook are joined into one temporary module
 * and type-checked with `deno check` (the kernel itself does not report type errors; `--no-check`
 * skips this). `--small` (or YOLO_NB_SMALL=1) makes every notebook use its small CI settings;
 * `--backend` is passed to the kernels as YOLO_BACKEND. Executed copies go to `--out`.
 * @module
 */
import { parseArgs } from "node:util";
import { runMain } from "./_common.ts";
import { intFlag } from "./args.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const USAGE = "usage: deno task notebooks [--small] [--only 01,03] [--out runs/notebooks] [--timeout 1800] [--backend X] [--no-setup] [--no-check]";

async function run(cmd: string, args: string[], opts: { env?: Record<string, string>; quiet?: boolean } = {}): Promise<{ code: number; out: string }> {
  try {
    const p = new Deno.Command(cmd, { args, env: opts.env, stdout: opts.quiet ? "piped" : "inherit", stderr: opts.quiet ? "piped" : "inherit" });
    const r = await p.output();
    return { code: r.code, out: opts.quiet ? new TextDecoder().decode(r.stdout) : "" };
  } catch {
    return { code: 127, out: "" };
  }
}

/** The first Python that can import nbclient, jupyter_client and nbformat (Debian's before PATH's). */
async function findPython(): Promise<string | undefined> {
  for (const py of [Deno.env.get("PYTHON"), "/usr/bin/python3", "python3"]) {
    if (py && (await run(py, ["-c", "import nbclient, jupyter_client, nbformat"], { quiet: true })).code === 0) return py;
  }
  return undefined;
}

/** Join a notebook's code cells into one module next to it (so its imports resolve); returns the module path. */
async function cellsAsModule(book: string): Promise<string> {
  const nb = JSON.parse(await Deno.readTextFile(book)) as { cells: { cell_type: string; source: string | string[] }[] };
  const code = nb.cells.filter((c) => c.cell_type === "code").map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source));
  const file = book.replace(/([^/]*)\.ipynb$/, ".check_$1.ts");
  await Deno.writeTextFile(file, `${code.join("\n\n")}\nexport {};\n`);
  return file;
}

/** The argv[0] of the installed `deno` kernelspec, or undefined when there is none. */
async function kernelDeno(py: string): Promise<string | undefined> {
  const code = "from jupyter_client.kernelspec import KernelSpecManager as M\ntry: print(M().get_kernel_spec('deno').argv[0])\nexcept Exception: pass";
  const r = await run(py, ["-c", code], { quiet: true });
  return r.out.trim() || undefined;
}

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      small: { type: "boolean" },
      only: { type: "string" },
      out: { type: "string", default: "runs/notebooks" },
      timeout: { type: "string", default: "1800" },
      backend: { type: "string" },
      "no-setup": { type: "boolean" },
      "no-check": { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) return console.log(USAGE);
  const timeout = intFlag(values.timeout, "timeout", 1);

  const deno = Deno.execPath();
  let py = await findPython();
  const real = async (p?: string) => (p ? await Deno.realPath(p).catch(() => p) : undefined);
  if (!values["no-setup"] && (!py || (await real(await kernelDeno(py))) !== (await real(deno)))) {
    console.error(`[notebooks] setting up Jupyter and the Deno kernel (${deno})`);
    const r = await run("bash", [`${ROOT}/scripts/setup_jupyter.sh`], { env: { DENO: deno } });
    if (r.code !== 0) throw new Error(`Cannot set up Jupyter: scripts/setup_jupyter.sh exited ${r.code} (see its message above)`);
    py = await findPython();
  }
  if (!py) {
    throw new Error("Cannot run notebooks: no Python with nbclient, jupyter_client and nbformat; install Jupyter (Debian: scripts/setup_jupyter.sh)");
  }
  if (!(await kernelDeno(py))) throw new Error("Cannot run notebooks: no `deno` Jupyter kernel; run `deno jupyter --install`");

  const only = values.only?.split(",").map((s) => s.trim()).filter(Boolean);
  const books: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}/notebooks`)) {
    if (e.isFile && /^\d\d_.*\.ipynb$/.test(e.name) && (!only || only.some((o) => e.name.startsWith(o)))) books.push(`${ROOT}/notebooks/${e.name}`);
  }
  books.sort();
  if (!books.length) throw new Error(`Cannot find notebooks matching ${only ? only.join(", ") : "NN_*.ipynb"} in notebooks/`);
  if (!values["no-check"]) {
    const modules = await Promise.all(books.map(cellsAsModule));
    try {
      const r = await run(deno, ["check", "--quiet", ...modules]);
      if (r.code !== 0) throw new Error("Notebook code does not type-check (see above; the .check_*.ts names map to the notebooks)");
    } finally {
      await Promise.all(modules.map((m) => Deno.remove(m).catch(() => {})));
    }
    console.error(`[notebooks] type-checked the code cells of ${books.length} notebooks`);
  }
  const env: Record<string, string> = { ...Deno.env.toObject(), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
  if (values.small) env.YOLO_NB_SMALL = "1";
  if (values.backend) env.YOLO_BACKEND = values.backend;
  console.error(`[notebooks] ${books.length} notebooks with ${py}${env.YOLO_NB_SMALL === "1" ? " (small settings)" : ""}`);
  const r = await run(py, [`${ROOT}/scripts/run_notebooks.py`, ...books, "--timeout", String(timeout), "--out", values.out!], { env });
  if (r.code !== 0) throw new Error(`notebook run failed (exit ${r.code})`);
});
