/**
 * `deno task bench compare [--models gelan-s,gelan-c,yolov9-s] [--width 0.125] [--img 64] [--batch 32]
 * [--threads 1] [--nc 10] [--runs 20] [--warmup 10] [--rounds 2] [--anchor ../shared/tools/torch_anchor.py] [--json]`:
 * our training step beside PyTorch's on the same architecture. `--threads 1,2` times every thread count in
 * each round and adds, per model, how much faster the last count runs than the first (ours and PyTorch's). `--forward [--precision bf16|winograd]` compares the
 * fused eval forward instead (defaults then: gelan-c, full width, 640 px, batch 1, 2 threads, 5 runs, nc 80;
 * `--precision` applies to ours only: the PyTorch script times float32). Each model is written once as an
 * official-format YAML (width-scaled by the ablations' rule, `nc` set), then both sides build it from
 * that file: ours (`deno task bench train`, or `forward`, in a subprocess) and the PyTorch timing script (Debian's
 * python3-torch), interleaved for `--rounds` rounds so both see the same machine; per row the medians
 * and ours / PyTorch. Where the script or torch is missing it says so and leaves the PyTorch column
 * empty. Shared pieces of `deno task bench train`: the model of a row and the thread setting.
 * @module
 */
import { stringify } from "yaml";
import { configToDict, parseModelConfig } from "../lib/graph/config.ts";
import { scaleConfig } from "../lib/graph/scale.ts";
import type { ModelSpec } from "../lib/graph/spec.ts";
import { buildModelSpec } from "../lib/models/build.ts";
import { loadModelConfig } from "../lib/models/shipped.ts";
import { median } from "../lib/train/step_timer.ts";
import { imgFlag, intFlag, numberFlag } from "./args.ts";

/** The official-format mapping of a bench row: `name` scaled to `width` (ablation rule), `nc` classes. */
export async function benchConfig(name: string, o: { width: number; nc?: number }): Promise<Record<string, unknown>> {
  const cfg = configToDict(await loadModelConfig(name));
  const scaled = o.width === 1 ? cfg : scaleConfig(cfg, { width: o.width, depth: 1, divisor: 8 });
  return o.nc ? { ...scaled, nc: o.nc } : scaled;
}

/** The layer graph of a bench row (see {@link benchConfig}). */
export async function benchSpec(name: string, o: { width: number; nc?: number }): Promise<ModelSpec> {
  return buildModelSpec(parseModelConfig(await benchConfig(name, o), name));
}

/** Set the native backend's threads from `--threads` (before the backend starts); the count in use. */
export function setThreads(v: string | undefined): number {
  if (v !== undefined) Deno.env.set("YOLO_NATIVE_THREADS", String(intFlag(v, "threads", 1)));
  return Number(Deno.env.get("YOLO_NATIVE_THREADS") ?? Deno.env.get("OMP_NUM_THREADS")) ||
    navigator.hardwareConcurrency;
}

interface CompareRow {
  model: string;
  /** What was timed: the training step, or the fused eval forward (`--forward`). */
  mode: "train" | "forward";
  width: number;
  img: number;
  batch: number;
  threads: number;
  /** How our step ran (`compiled` or `tfjs`, bench train's `path`; forward: `fused fp32|bf16|winograd`). */
  path: string;
  ours_s: number[];
  torch_s: number[];
  ratio: number | null;
}

/** How much faster a model runs at `threads[1]` than at `threads[0]` (median over median). */
interface ScalingRow {
  model: string;
  threads: [number, number];
  ours: number;
  torch: number | null;
}

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; out: string; err: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { ok: r.success, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
  } catch (e) {
    return { ok: false, out: "", err: (e as Error).message };
  }
}

/** Why PyTorch cannot be timed here, or null when it can. */
async function anchorMissing(anchor: string): Promise<string | null> {
  try {
    await Deno.stat(anchor);
  } catch {
    return `${anchor} not found`;
  }
  const t = await run("/usr/bin/python3", ["-c", "import torch, yaml"]);
  return t.ok ? null : "Debian's python3-torch / python3-yaml are not installed (apt-get install python3-torch python3-yaml)";
}

/** Run the comparison (flags as `deno task bench`); prints a table or, with `--json`, one object. */
export async function benchCompare(values: Record<string, string | boolean | undefined>): Promise<void> {
  const str = (k: string) => values[k] as string | undefined;
  const fwd = values.forward === true;
  const models = (str("models") ?? (fwd ? "gelan-c" : "gelan-s,gelan-c,yolov9-s")).split(",");
  const width = numberFlag(str("width"), "width", { min: 0.01, max: 1 }) ?? (fwd ? 1 : 1 / 8);
  const img = imgFlag(str("img") ?? (fwd ? "640" : "64"));
  const batch = fwd ? 1 : intFlag(str("batch") ?? "32", "batch", 1);
  const threadCounts = (str("threads") ?? (fwd ? "2" : "1")).split(",").map((t) => intFlag(t, "threads", 1));
  const runs = intFlag(str("runs") ?? (fwd ? "5" : "20"), "runs", 1);
  const warmup = intFlag(str("warmup") ?? "10", "warmup", 1);
  const rounds = intFlag(str("rounds") ?? "2", "rounds", 1);
  const nc = numberFlag(str("nc") ?? (fwd ? "80" : "10"), "nc", { int: true, min: 1 });
  const precision = str("precision") ?? "fp32";
  const anchor = str("anchor") ?? new URL("../../shared/tools/torch_anchor.py", import.meta.url).pathname;
  const missing = await anchorMissing(anchor);
  if (missing) console.error(`[bench compare] PyTorch column left empty: ${missing}`);
  const dir = await Deno.makeTempDir({ prefix: "bench_compare_" });
  const rows: CompareRow[] = [], scaling: ScalingRow[] = [];
  /** One round of `row`: our median and PyTorch's (unless missing). */
  const timeRound = async (row: CompareRow, yaml: string) => {
    const { model, threads } = row;
    const mine = fwd ? ["forward", "--precision", precision] : ["train", "--batch", `${batch}`, "--warmup", `${warmup}`];
    const ours = await run(Deno.execPath(), [
      "run", "-A", new URL("./bench.ts", import.meta.url).pathname, ...mine, "--models", yaml, "--img", `${img}`,
      "--runs", `${runs}`, "--threads", `${threads}`, "--json",
      ...(values.backend ? ["--backend", String(values.backend)] : []),
    ]);
    if (!ours.ok) throw new Error(`bench ${row.mode} ${model} failed: ${ours.err.trim().split("\n").pop()}`);
    const results = JSON.parse(ours.out.trim().split("\n").pop()!).results as Record<string, unknown>[];
    const res = fwd ? results.find((x) => x.fused)! : results[0];
    row.ours_s.push(res.median_s as number);
    row.path = fwd ? `fused ${res.precision}` : res.path as string;
    if (missing) return;
    const torch = await run("/usr/bin/python3", [
      anchor, "--threads", `${threads}`, "--json", row.mode, "--yaml", yaml, "--img", `${img}`, "--batch", `${batch}`,
      "--runs", `${runs}`,
    ]);
    if (!torch.ok) throw new Error(`torch_anchor ${model} failed: ${torch.err.trim().split("\n").pop()}`);
    row.torch_s.push((Object.values(JSON.parse(torch.out))[0] as { median_s: number }).median_s);
  };
  try {
    for (const model of models) {
      const yaml = `${dir}/${model.replace(/[^\w.-]/g, "_")}.yaml`;
      await Deno.writeTextFile(yaml, stringify(await benchConfig(model, { width, nc })));
      const mode = fwd ? "forward" as const : "train" as const;
      const modelRows: CompareRow[] = threadCounts.map((threads) => ({
        model, mode, width, img, batch, threads, path: "", ours_s: [], torch_s: [], ratio: null,
      }));
      for (let r = 0; r < rounds; r++) for (const row of modelRows) await timeRound(row, yaml);
      for (const row of modelRows) {
        if (row.torch_s.length) row.ratio = +(median(row.ours_s) / median(row.torch_s)).toFixed(3);
        rows.push(row);
        if (values.json) continue;
        const t = row.torch_s.length ? `${median(row.torch_s).toFixed(4)} s` : "-";
        console.log(
          `${model.padEnd(9)} width ${width} ${mode} b${batch}@${img} ${row.threads}t: ours ${median(row.ours_s).toFixed(4)} s (${row.path}), ` +
            `PyTorch ${t}${fwd ? " (fused, float32)" : ""}, ours / PyTorch ${row.ratio ?? "-"} (${rounds} interleaved rounds of ${runs} ${fwd ? "runs" : "steps"})`,
        );
      }
      if (modelRows.length < 2) continue;
      const [a, b] = [modelRows[0], modelRows[modelRows.length - 1]];
      const speedup = (x: number[], y: number[]) => (y.length ? +(median(x) / median(y)).toFixed(3) : null);
      const sc: ScalingRow = {
        model, threads: [a.threads, b.threads], ours: speedup(a.ours_s, b.ours_s)!, torch: speedup(a.torch_s, b.torch_s),
      };
      scaling.push(sc);
      if (!values.json) {
        const torch = sc.torch === null ? "-" : `${sc.torch}x`;
        console.log(`${model.padEnd(9)} ${b.threads} threads vs ${a.threads}: speed-up ours ${sc.ours}x, PyTorch ${torch}`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  if (values.json) console.log(JSON.stringify(scaling.length ? { rows, scaling } : { rows }));
}
