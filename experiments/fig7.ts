/**
 * Paper Fig. 7 — "PAN feature maps of GELAN and YOLOv9 (GELAN + PGI) after one epoch of bias warm-up":
 * GELAN-C and YOLOv9-C (CPU scale) trained for one epoch (inside the warm-up) per seed; for validation
 * images, the channel-summed maps of the main branch's PAN outputs (the detect head's P3/P4/P5 inputs)
 * are drawn side by side for the same images, and scored with the focus ratio (saliency on the objects
 * relative to their area). The caption's claim that PGI focuses better on the target objects is tested
 * by the paired difference (same image, same seed) with a 95 % interval over seeds and images.
 * @module
 */
import type { Ablation, Figure } from "../lib/ablate/spec.ts";
import { fig7Job, fig7Seeds } from "../lib/ablate/fig7_job.ts";

const TRAINING: Ablation = {
  name: "fig7",
  title: "Fig. 7 trainings",
  caption: "GELAN-C and YOLOv9-C after one epoch",
  countColumns: [],
  metrics: ["ap"],
  variants: [
    { id: "gelan_c", label: "GELAN-C", group: "fig7", base: "gelan-c", paper: {} },
    { id: "yolov9_c", label: "GELAN-C + PGI (YOLOv9-C)", group: "fig7", base: "yolov9-c", paper: {} },
  ],
  notes: [],
};

/** Fig. 7 as an experiment. */
export const FIG7: Figure = {
  name: "fig7",
  title: "Fig. 7 — PAN feature maps of GELAN vs GELAN + PGI",
  caption: "Channel-summed PAN outputs after one epoch of warm-up; focus ratio as the measurable claim.",
  notes: [
    "GELAN = gelan-c, GELAN + PGI = yolov9-c (main branch maps), both at the session's CPU scale, trained one epoch (inside the bias warm-up, the paper's setting) with the same seed and data, for the preset's `fig7.seeds` seeds (the session's seeds and the next ones); when the session's own runs end inside the warm-up (at least 100 iterations), those runs are used.",
    "The paper does not say whether its maps used BatchNorm's running statistics (eval) or batch statistics (train mode, here over the scored images as one batch); both are scored. A mode whose maps are mostly the same for every image (fixed share above 0.9: border and bias patterns of a barely trained model) gets no verdict.",
    "The paper shows maps only; the focus ratio (share of |map - median| on object cells over their area share) is our measurable version of 'focuses better on the target object'.",
  ],
  training: { ablation: TRAINING, epochs: "warmup", seeds: fig7Seeds },
  run: fig7Job,
};
