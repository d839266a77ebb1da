/**
 * `deno task train`: train a GELAN (single head) or YOLOv9 (PGI dual head) model, as the official
 * `train.py` / `train_dual.py` (the loss follows the model's head). Flags after the official scripts:
 *
 *   deno task train --cfg gelan-s [--data mnist-det] [--hyp data/hyps/hyp.scratch-high.yaml] [--weights W]
 *     [--epochs 100] [--batch 16] [--img 640] [--seed 0] [--project runs/train] [--name exp] [--exist-ok]
 *     [--resume] [--close-mosaic 0] [--min-items 0] [--workers 8] [--patience 100] [--nbs 64] [--noval] [--lhg] [--backend X]
 *
 * `--resume` continues `project/name` (or, without `--name`, the most recently saved run under `project`)
 * from `weights/last.safetensors` with the run's saved options (data, hyp, image size, batch, nbs, ...);
 * a flag given again must agree with the run's value, else the resume is refused naming it.
 * @module
 */
import { parseArgs } from "node:util";
import { trainRun } from "../lib/train/train_run.ts";
import type { TrainRunOptions } from "../lib/train/types.ts";
import { runMain, setupBackend } from "./_common.ts";

const USAGE = `usage: deno task train --cfg CFG [--data DATA] [options]
  --cfg C           model config name (gelan-s, yolov9-s, ...) or YAML path
  --data D          dataset YAML, or "mnist-det" (the default; generated on first use)
  --hyp H           hyperparameter YAML (default: hyp.scratch-high values)
  --weights W       initial weights (.safetensors or .pt; matching names and shapes are copied)
  --epochs N        (100)   --batch N (16)   --img N (640)   --seed N (0)
  --project P       (runs/train)   --name N (exp)   --exist-ok   reuse project/name
  --resume          continue project/name (or the latest run) from weights/last.safetensors with the run's
                    options (a flag given again must agree with the run's value)
  --close-mosaic N  turn mosaic off for the last N epochs (0)
  --min-items N     drop training images with fewer labels (0)
  --workers N       accepted for compatibility (data loading runs in-process)
  --patience N      early-stopping patience in epochs (100)
  --nbs N           nominal batch of gradient accumulation / weight-decay scaling (64, as official)
  --noval           validate only after the final epoch
  --lhg             lead-head guided assignment for the auxiliary branch (paper Table 4)
  --backend X       tensorflow-gpu | tensorflow | wasm | cpu`;

function num(v: string | undefined, name: string, opts: { min?: number; int?: boolean } = {}): number {
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || n < (opts.min ?? -Infinity)) {
    throw new RangeError(`--${name}: expected ${opts.int ? "an integer" : "a number"}${opts.min !== undefined ? ` >= ${opts.min}` : ""}, got "${v}"`);
  }
  return n;
}

/** The run folder under `project` whose resume state was written last (`get_latest_run`). */
async function latestRun(project: string): Promise<string> {
  let best: { name: string; t: number } | null = null;
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(project)) entries.push(e);
  } catch {
    // no project folder: nothing to resume
  }
  for (const e of entries) {
    if (!e.isDirectory) continue;
    const w = `${project}/${e.name}/weights`; // a pending commit (killed mid-save) counts as its state
    const st = await Deno.stat(`${w}/last.state.safetensors`).catch(() => Deno.stat(`${w}/commit.json`)).catch(() => null);
    if (st?.mtime && (!best || st.mtime.getTime() > best.t)) best = { name: e.name, t: st.mtime.getTime() };
  }
  if (!best) throw new Error(`Cannot resume: no run with weights/last.state.safetensors under ${project}`);
  return best.name;
}

/** Flag -> option name, for the flags a resume checks against the run (`explicit`). */
const FLAG_OPTIONS: Record<string, keyof TrainRunOptions> = {
  cfg: "cfg", data: "data", hyp: "hyp", weights: "weights", epochs: "epochs", batch: "batch", "batch-size": "batch",
  img: "img", imgsz: "img", seed: "seed", "close-mosaic": "closeMosaic", "min-items": "minItems", workers: "workers",
  patience: "patience", lhg: "lhg", nbs: "nbs", noval: "noval",
};

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      cfg: { type: "string" }, data: { type: "string" }, hyp: { type: "string" }, weights: { type: "string" },
      epochs: { type: "string" }, batch: { type: "string" }, "batch-size": { type: "string" }, img: { type: "string" },
      imgsz: { type: "string" }, seed: { type: "string" }, project: { type: "string", default: "runs/train" },
      name: { type: "string" }, "exist-ok": { type: "boolean" }, resume: { type: "boolean" },
      "close-mosaic": { type: "string" }, "min-items": { type: "string" }, workers: { type: "string" },
      patience: { type: "string" }, lhg: { type: "boolean" }, nbs: { type: "string" }, noval: { type: "boolean" },
      backend: { type: "string" }, help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!values.resume && !values.cfg) throw new Error(`--cfg is required\n${USAGE}`);
  const explicit = Object.keys(values).flatMap((k) => (FLAG_OPTIONS[k] ? [FLAG_OPTIONS[k]] : []));
  await setupBackend(values.backend);
  const project = values.project!;
  const name = values.name ?? (values.resume ? await latestRun(project) : "exp");
  const v = (flag: keyof typeof values, d: string) => (values[flag] as string | undefined) ?? d;
  const res = await trainRun({
    cfg: values.cfg ?? "", data: v("data", "mnist-det"), hyp: values.hyp, weights: values.weights,
    epochs: num(v("epochs", "100"), "epochs", { min: 1, int: true }),
    batch: num(values["batch-size"] ?? v("batch", "16"), "batch", { min: 1, int: true }),
    img: num(values.imgsz ?? v("img", "640"), "img", { min: 32, int: true }),
    seed: num(v("seed", "0"), "seed", { int: true }), project, name, existOk: values["exist-ok"], resume: values.resume,
    closeMosaic: num(v("close-mosaic", "0"), "close-mosaic", { min: 0, int: true }),
    minItems: num(v("min-items", "0"), "min-items", { min: 0, int: true }),
    workers: num(v("workers", "8"), "workers", { min: 0, int: true }),
    patience: num(v("patience", "100"), "patience", { min: 1, int: true }), lhg: values.lhg,
    nbs: num(v("nbs", "64"), "nbs", { min: 1, int: true }), noval: values.noval, explicit,
  });
  const b = res.best;
  console.log(
    `best epoch ${b.epoch}: mAP50 ${b["metrics/mAP_0.5"].toFixed(4)}, mAP50-95 ${b["metrics/mAP_0.5:0.95"].toFixed(4)}; ` +
      `${res.rows.length} epochs in ${(res.seconds / 60).toFixed(1)} min; ${res.dir}`,
  );
});
