/**
 * Paper Table 6 — "Ablation study on GELAN and PGI": the path YOLOv7 -> + anchor-free (YOLOv7-AF) ->
 * + GELAN -> + DHLC (GELAN-E) -> + PGI (YOLOv9-E). "+ GELAN" is GELAN-E without its DHLC second backbone
 * (one backbone, same neck and head): it has exactly the paper's 41.2M / 126.4G.
 * @module
 */
import type { Ablation } from "../lib/ablate/spec.ts";

/**
 * Table 6 as data. Quick length 1,792 steps (7 epochs): YOLOv7-AF at 1/8 width with the quick recipe,
 * seed 0, 3,840 steps, reached val mAP50-95 33.0 % at 1,536 steps, 37.6 % at 2,048 and 45.7 % at the end;
 * in the 2,048-step runs of 2026-12-07 it was at 33.5, 31.6, 32.3 % after 1,792 steps (seeds 0-2) and
 * 38.3, 33.6, 33.9 % at the end; 1,792-step runs (commit 6ba2504, COCO AP) end at 31.6, 32.2, 26.8 %;
 * YOLOv7 itself only 6.8 % at the end (its official obj gain x (img / 640)^2 is 0.01x at 64 px, and
 * ComputeLossOTA learns slowly at this size): no length this preset can pay lifts it to 30 %, and the
 * AF comparison is decided long before (2026-12-03). Nor do its loss gains (2026-12-07, seed 0, 2,048
 * steps, val mAP50-95): box, obj and cls all x10 reach 10.6 %, x100 8.3 %, the official gains 3.7 %;
 * with x100 the box loss (1 - CIoU summed over the levels) stays at its starting 1.04.
 */
export const TABLE6: Ablation = {
  name: "table6",
  title: "Table 6 — from YOLOv7 to YOLOv9-E",
  caption:
    "Components added one at a time: anchor-free head, GELAN, DHLC (CBNet dual backbone), PGI. Columns #Param., FLOPs, AP, APS, APM, APL.",
  countColumns: ["params", "gflops"],
  metrics: ["ap", "aps", "apm", "apl"],
  variants: [
    {
      id: "yolov7",
      label: "YOLOv7",
      group: "path",
      base: "yolov7",
      paper: { params: 36.9, gflops: 104.7, ap: 51.2, aps: 31.8, apm: 55.5, apl: 65.0 },
      note:
        "The official cfg/training/yolov7.yaml (ELAN, MP, SPPCSPC, RepConv, IDetect with its anchors), trained with YOLOv7's ComputeLossOTA and hyp.scratch.p5 (with the preset's CPU overrides). Fused 36,905,341 parameters; 104.51G is 2 x the conv multiply-adds of the fused model, the paper's 104.7G is thop's count, which adds the fused convs' bias adds (104.68G).",
    },
    {
      id: "af",
      label: "+ AF (YOLOv7-AF)",
      group: "path",
      base: "yolov7-af",
      paper: { params: 43.6, gflops: 130.5, ap: 53.0, aps: 35.8, apm: 58.7, apl: 68.9 },
    },
    {
      id: "gelan",
      label: "+ GELAN",
      group: "path",
      base: "experiments/configs/gelan-e-one-backbone.yaml",
      paper: { params: 41.2, gflops: 126.4, ap: 53.2, aps: 36.2, apm: 58.5, apl: 69.9 },
      note: "GELAN-E with one backbone (no CBLinear/CBFuse): its counts equal the paper's row exactly.",
    },
    {
      id: "dhlc",
      label: "+ DHLC (GELAN-E)",
      group: "path",
      base: "gelan-e",
      paper: { params: 57.3, gflops: 189.0, ap: 55.0, aps: 38.0, apm: 60.6, apl: 70.9 },
    },
    {
      id: "pgi",
      label: "+ PGI (YOLOv9-E)",
      group: "path",
      base: "yolov9-e",
      main: { base: "gelan-e" },
      paper: { params: 57.3, gflops: 189.0, ap: 55.6, aps: 40.2, apm: 61.0, apl: 71.4 },
    },
  ],
  smoke: ["yolov7", "af"],
  quick: ["yolov7", "af"],
  steps: { quick: 1792 },
  notes: [
    "'+ AF' compares the anchor-based YOLOv7 (official yolov7.yaml: IDetect with 3 anchors per level, ComputeLossOTA, hyp.scratch.p5) with YOLOv7-AF (official yolov9 yolov7-af.yaml: DDetect-style Detect head, TAL assignment, hyp.scratch-high), both scaled by the preset's one width rule. The anchors are checked against the training labels as YOLOv7's train.py does (AutoAnchor: k-means + evolution where the best possible recall is under 0.98); on the quick preset's MNIST-Det (64 px, digits 12-32 px) the official anchors give 0.990, so they stay, and the runs are those trained before the check existed.",
    "YOLOv7's FLOPs: our count is 2 x conv multiply-adds, the convention that reproduces every other printed value; for YOLOv7 the paper's 104.7G is thop's count of the fused model with bias adds (104.68G), ours 104.51G.",
    "The paper does not describe '+ GELAN'; GELAN-E without the DHLC second backbone reproduces its 41.2M / 126.4G exactly, so that is the variant used. '+ DHLC' is GELAN-E and '+ PGI' is YOLOv9-E (its inference model is GELAN-E).",
  ],
};
