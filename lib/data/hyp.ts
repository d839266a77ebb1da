/**
 * The released hyperparameter values (data/hyps/hyp.scratch-high.yaml, reference-spec §5.1; YOLOv7's
 * hyp.scratch.p5.yaml) and the
 * lookup the augmentations use. Files and overrides are loaded and checked by `loadHyp` (lib/train/hyp.ts).
 * @module
 */
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

/** YOLOv7's data/hyp.scratch.p5.yaml (github WongKinYiu/yolov7), every key and value: the anchor-based YOLOv7's recipe. */
export const HYP_SCRATCH_P5: Readonly<Hyp> = Object.freeze({
  lr0: 0.01,
  lrf: 0.1,
  momentum: 0.937,
  weight_decay: 0.0005,
  warmup_epochs: 3.0,
  warmup_momentum: 0.8,
  warmup_bias_lr: 0.1,
  box: 0.05,
  cls: 0.3,
  cls_pw: 1.0,
  obj: 0.7,
  obj_pw: 1.0,
  iou_t: 0.2,
  anchor_t: 4.0,
  fl_gamma: 0.0,
  hsv_h: 0.015,
  hsv_s: 0.7,
  hsv_v: 0.4,
  degrees: 0.0,
  translate: 0.2,
  scale: 0.9,
  shear: 0.0,
  perspective: 0.0,
  flipud: 0.0,
  fliplr: 0.5,
  mosaic: 1.0,
  mixup: 0.15,
  copy_paste: 0.0,
  paste_in: 0.15,
  loss_ota: 1,
});

/** `hyp[key]`, falling back to the hyp.scratch-high value (0 for unknown keys). */
export function hypValue(hyp: Hyp, key: string): number {
  return hyp[key] ?? HYP_SCRATCH_HIGH[key] ?? 0;
}
