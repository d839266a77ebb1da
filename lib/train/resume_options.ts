/**
 * The options of a run as `opt.yaml` records them, and `--resume` taking them back: a resumed run uses
 * everything the run was started with (model, data, hyperparameters, image size, batch, nominal batch,
 * epochs, seed, ...); an option given again must agree with the recorded one or the resume is refused,
 * naming the option and both values.
 * @module
 */
import * as path from "node:path";
import type { Hyp } from "../data/types.ts";
import { loadHyp } from "./hyp.ts";
import { TRAIN_DEFAULTS as D, withTrainDefaults } from "./defaults.ts";
import type { TrainRunOptions } from "./types.ts";

/** The options recorded in opt.yaml (what a resume needs to restart the same run). */
export function optRecord(opts: TrainRunOptions, dir: string): Record<string, unknown> {
  const o = withTrainDefaults(opts);
  return {
    cfg: o.cfg,
    data: o.data,
    weights: o.weights ?? "",
    epochs: o.epochs,
    batch_size: o.batch,
    imgsz: o.img,
    seed: o.seed,
    project: o.project,
    name: o.name,
    save_dir: dir,
    close_mosaic: o.closeMosaic,
    min_items: o.minItems,
    cache: o.cache ?? null,
    workers: o.workers,
    lhg: o.lhg,
    patience: o.patience,
    nbs: o.nbs,
    noval: o.noval,
    optimizer: "SGD",
  };
}

/** Option name -> its opt.yaml key, for every option a resume takes from the run. */
const RECORDED: Partial<Record<keyof TrainRunOptions, string>> = {
  cfg: "cfg",
  data: "data",
  weights: "weights",
  epochs: "epochs",
  batch: "batch_size",
  img: "imgsz",
  seed: "seed",
  closeMosaic: "close_mosaic",
  minItems: "min_items",
  workers: "workers",
  lhg: "lhg",
  patience: "patience",
  nbs: "nbs",
  noval: "noval",
};

/** The options of a resumed run: `o`'s run folder and callbacks with every recorded option of `saved`. */
export function resumedOptions(o: TrainRunOptions, saved: Record<string, unknown>): TrainRunOptions {
  const n = (k: string, d: number) => (typeof saved[k] === "number" ? saved[k] as number : d);
  return {
    ...o,
    cfg: saved.cfg as TrainRunOptions["cfg"],
    data: String(saved.data ?? o.data),
    weights: String(saved.weights ?? ""),
    epochs: n("epochs", o.epochs),
    batch: n("batch_size", o.batch),
    img: n("imgsz", o.img),
    seed: n("seed", o.seed),
    closeMosaic: n("close_mosaic", D.closeMosaic),
    minItems: n("min_items", D.minItems),
    cache: o.cache ?? (saved.cache === "disk" ? "disk" : undefined),
    workers: n("workers", D.workers),
    lhg: !!saved.lhg,
    patience: n("patience", D.patience),
    nbs: n("nbs", D.nbs),
    noval: !!saved.noval,
  };
}

function same(key: keyof TrainRunOptions, given: unknown, saved: unknown): boolean {
  if (
    key === "data" || key === "weights" ||
    (key === "cfg" && typeof given === "string" && typeof saved === "string")
  ) {
    const norm = (v: unknown) => (String(v ?? "") === "" ? "" : path.resolve(String(v)));
    return given === saved || norm(given) === norm(saved);
  }
  if (typeof saved === "boolean" || key === "lhg" || key === "noval") return !!given === !!saved;
  return JSON.stringify(given) === JSON.stringify(saved);
}

/**
 * Refuse a resume whose explicitly given options (`o.explicit`) disagree with the run's: each named option
 * of `o` must equal its opt.yaml value in `saved`, and a given `hyp` must resolve to the run's `savedHyp`.
 */
export async function checkResumeOptions(
  o: TrainRunOptions,
  saved: Record<string, unknown>,
  savedHyp: Hyp,
  dir: string,
): Promise<void> {
  const bad: string[] = [];
  for (const key of o.explicit ?? []) {
    if (key === "hyp") {
      const given = await loadHyp(o.hyp);
      const diff = Object.keys({ ...given, ...savedHyp }).filter((k) =>
        given[k as keyof Hyp] !== savedHyp[k as keyof Hyp]
      );
      if (diff.length) {
        bad.push(
          `hyp ${o.hyp} differs in ${
            diff.map((k) => `${k} (${given[k as keyof Hyp]} vs ${savedHyp[k as keyof Hyp]})`).join(", ")
          }`,
        );
      }
      continue;
    }
    const rec = RECORDED[key];
    if (!rec) continue;
    const given = o[key];
    if (!same(key, given, saved[rec])) {
      bad.push(`${key} ${JSON.stringify(given)} vs the run's ${JSON.stringify(saved[rec])}`);
    }
  }
  if (bad.length) {
    throw new Error(
      `Cannot resume ${dir}: a resumed run takes its options from ${dir}/opt.yaml, and these given options disagree: ` +
        `${bad.join("; ")}. Drop them, or start a new run.`,
    );
  }
}
