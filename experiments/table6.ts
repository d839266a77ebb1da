/**
 * Paper Table 6 — "Ablation study on GELAN and PGI": the path YOLOv7 -> + anchor-free (YOLOv7-AF) ->
 * + GELAN -> + DHLC (GELAN-E) -> + PGI (YOLOv9-E). "+ GELAN" is GELAN-E without its DHLC second backbone
 * (one backbone, same neck and head): it has exactly the paper's 41.2M / 126.4G.
 * @module
 */
import type { Ablation } from "../lib/ablate/spec.ts";

/** Table 6 as data. */
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
      base: null,
      paper: { params: 36.9, gflops: 104.7, ap: 51.2, aps: 31.8, apm: 55.5, apl: 65.0 },
      note:
        "Not built: the anchor-based YOLOv7 head (IDetect, anchor assignment) is not implemented here; the path starts at YOLOv7-AF.",
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
  smoke: ["af", "gelan"],
  quick: ["af", "gelan"],
  notes: [
    "YOLOv7 (anchor-based) is out of reach: its IDetect head and anchor-based assignment are not implemented. The path starts at YOLOv7-AF, built from the official yolov7-af.yaml (43.6M / 130.5G as printed).",
    "The paper does not describe '+ GELAN'; GELAN-E without the DHLC second backbone reproduces its 41.2M / 126.4G exactly, so that is the variant used. '+ DHLC' is GELAN-E and '+ PGI' is YOLOv9-E (its inference model is GELAN-E).",
  ],
};
