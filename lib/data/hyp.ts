/**
 * Hyperparameter files with the official keys (data/hyps/hyp.scratch-high.yaml): reading, checking, and
 * the released values as a constant (reference-spec §5.1). I/O only in {@link readHyp}.
 * @module
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import type { Hyp } from "./types.ts";

/** The official hyp.scratch-high.yaml, every key and value. */
export const HYP_SCRATCH_HIGH: Readonly<Hyp> = Object.freeze({
  lr0: 0.01,
  lrf: 0.01,
  momentum: 0.937,
  weight_decay: 0.0005,
  warmup_epochs: 3.0,
  warmup_momentum: 0.8,
  warmup_bias_lr: 0.1,
  box: 7.5,
  cls: 0.5,
  cls_pw: 1.0,
  obj: 0.7,
  obj_pw: 1.0,
  dfl: 1.5,
  iou_t: 0.2,
  anchor_t: 5.0,
  fl_gamma: 0.0,
  hsv_h: 0.015,
  hsv_s: 0.7,
  hsv_v: 0.4,
  degrees: 0.0,
  translate: 0.1,
  scale: 0.9,
  shear: 0.0,
  perspective: 0.0,
  flipud: 0.0,
  fliplr: 0.5,
  mosaic: 1.0,
  mixup: 0.15,
  copy_paste: 0.3,
});

/** Path of the repository's hyp.scratch-high.yaml. */
export const DEFAULT_HYP_PATH: string = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../data/hyps/hyp.scratch-high.yaml",
);

/** Parses hyperparameter YAML text: a flat mapping of finite numbers (`file` names it in messages). */
export function parseHyp(text: string, file: string): Hyp {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new TypeError(`Cannot read hyperparameters ${file}: invalid YAML: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    throw new TypeError(`Cannot read hyperparameters ${file}: expected a mapping of key: number`);
  }
  const out: Hyp = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new TypeError(
        `Cannot read hyperparameters ${file}: expected a finite number for "${k}", got ${JSON.stringify(v)}`,
      );
    }
    out[k] = v;
  }
  return out;
}

/** Reads a hyperparameter YAML (default: data/hyps/hyp.scratch-high.yaml). */
export async function readHyp(file: string = DEFAULT_HYP_PATH): Promise<Hyp> {
  return parseHyp(await Deno.readTextFile(file), file);
}

/** `hyp[key]`, falling back to the hyp.scratch-high value (0 for unknown keys). */
export function hypValue(hyp: Hyp, key: string): number {
  return hyp[key] ?? HYP_SCRATCH_HIGH[key] ?? 0;
}
