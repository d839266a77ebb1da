/**
 * `deno task train`: train a GELAN (single head) or YOLOv9 (PGI dual head) model, as the official
 * `train.py` / `train_dual.py` (the loss follows the model's head). Flags after the official scripts:
 *
 *   deno task train --cfg gelan-s [--data mnist-det] [--hyp data/hyps/hyp.scratch-high.yaml] [--weights W]
 *     [--epochs 100] [--batch 16] [--img 640] [--seed 0] [--project runs/train] [--name exp] [--exist-ok]
 *     [--resume] [--close-mosaic 0] [--min-items 0] [--cache disk] [--workers 8] [--patience 100] [--nbs 64] [--noval] [--noautoanchor] [--lhg] [--backend X]
 *
 * `--resume` continues `project/name` (or, without `--name`, the most recently saved run under `project`)
 * from `weights/last.safetensors` with the run's saved options (data, hyp, image size, batch, nbs, ...);
 * a flag given again must agree with the run's value, else the resume is refused naming it.
 * @module
 */
import { parseArgs } from "node:util";
import { trainRun } from "../lib/train/train_run.ts";
import { TRAIN_DEFAULTS } from "../lib/train/defaults.ts";
import type { TrainRunOptions } from "../lib/train/types.ts";
import { runMain, setupBackend } from "./_common.ts";
import { BACKEND_HELP, imgFlag, intFlag } from "./args.ts";

const D = TRAIN_DEFAULTS;
const USAGE = `usage: deno task train --cfg CFG [--data DATA] [options]
  --cfg C           model config name (gelan-s, yolov9-s, ...) or YAML path
  --data D          dataset YAML, or "mnist-det" (the default; generated on first use)
  --hyp H           hyperparameter YAML (default: hyp.scratch-high values)
  --weights W       initial weights (.safetensors or .pt; matching names and shapes are copied)
  --epochs N        (${D.epochs})   --batch N (${D.batch})   --img N (${D.img})   --seed N (${D.seed})
  --project P       (${D.project})   --name N (${D.name})   --exist-ok   reuse project/name
  --resume          continue project/name (or the latest run) from weights/last.safetensors with the run's
                    options (a flag given again must agree with the run's value)
  --close-mosaic N  turn mosaic off for the last N epochs (${D.closeMosaic})
  --min-items N     drop training images with fewer labels (${D.minItems})
  --cache disk      keep the decoded images in one file per split beside its image folder (later runs skip decoding)
  --workers N       accepted for compatibility (data loading runs in-process; ${D.workers})
  --patience N      early-stopping patience in epochs (${D.patience})
  --nbs N           nominal batch of gradient accumulation / weight-decay scaling (${D.nbs}, as official)
  --noval           validate only after the final epoch
  --noautoanchor    keep an anchor-based model's configured anchors (YOLOv7; default: AutoAnchor)
  --lhg             lead-head guided assignment for the auxiliary branch (paper Table 4)
  ${BACKEND_HELP}`;

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
  patience: "patience", lhg: "lhg", nbs: "nbs", noval: "noval", noautoanchor: "noautoanchor",
};

/** The --cache value: "disk" or absent (the in-memory cache is always on). */
function cacheFlag(v: string | undefined): "disk" | undefined {
  if (v === undefined || v === "disk") return v;
  throw new Error(`--cache: expected "disk", got "${v}" (decoded images are always cached in memory)`);
}

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      cfg: { type: "string" }, data: { type: "string" }, hyp: { type: "string" }, weights: { type: "string" },
      epochs: { type: "string" }, batch: { type: "string" }, "batch-size": { type: "string" }, img: { type: "string" },
      imgsz: { type: "string" }, seed: { type: "string" }, project: { type: "string", default: D.project },
      name: { type: "string" }, "exist-ok": { type: "boolean" }, resume: { type: "boolean" },
      "close-mosaic": { type: "string" }, "min-items": { type: "string" }, workers: { type: "string" },
      patience: { type: "string" }, lhg: { type: "boolean" }, nbs: { type: "string" }, noval: { type: "boolean" }, noautoanchor: { type: "boolean" },
      cache: { type: "string" }, backend: { type: "string" }, help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!values.resume && !values.cfg) throw new Error(`--cfg is required\n${USAGE}`);
  const explicit = Object.keys(values).flatMap((k) => (FLAG_OPTIONS[k] ? [FLAG_OPTIONS[k]] : []));
  await setupBackend(values.backend);
  const project = values.project!;
  const name = values.name ?? (values.resume ? await latestRun(project) : D.name);
  const v = (flag: keyof typeof values, d: string | number) => (values[flag] as string | undefined) ?? `${d}`;
  const res = await trainRun({
    cfg: values.cfg ?? "", data: v("data", D.data), hyp: values.hyp, weights: values.weights,
    epochs: intFlag(v("epochs", D.epochs), "epochs", 1),
    batch: intFlag(values["batch-size"] ?? v("batch", D.batch), "batch", 1),
    img: imgFlag(values.imgsz ?? v("img", D.img)),
    seed: intFlag(v("seed", D.seed), "seed", -Infinity), project, name, existOk: values["exist-ok"], resume: values.resume,
    closeMosaic: intFlag(v("close-mosaic", D.closeMosaic), "close-mosaic"),
    minItems: intFlag(v("min-items", D.minItems), "min-items"), cache: cacheFlag(values.cache),
    workers: intFlag(v("workers", D.workers), "workers"),
    patience: intFlag(v("patience", D.patience), "patience", 1), lhg: values.lhg,
    nbs: intFlag(v("nbs", D.nbs), "nbs", 1), noval: values.noval, noautoanchor: values.noautoanchor, explicit,
  });
  const b = res.best;
  console.log(
    `best epoch ${b.epoch}: mAP50 ${b["metrics/mAP_0.5"].toFixed(4)}, mAP50-95 ${b["metrics/mAP_0.5:0.95"].toFixed(4)}; ` +
      `${res.rows.length} epochs in ${(res.seconds / 60).toFixed(1)} min; ${res.dir}`,
  );
});
