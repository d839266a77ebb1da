/**
 * Paper Table 4 — "Ablation study on PGI of backbone and neck": which auxiliary component is attached
 * to GELAN-C's backbone (G_backbone: none, PFH = deep supervision, FPN, ICN, LHG-ICN) and neck (G_neck:
 * none, ICN), and GELAN-E's (none, PFH, FPN, PAN, FPN + neck ICN). Every variant's main branch is the
 * GELAN itself: removing the auxiliary branches gives exactly gelan-c / gelan-e (tested).
 * @module
 */
import type { Ablation, PaperRow, Variant } from "../lib/ablate/spec.ts";
import type { Edit } from "../lib/ablate/edits.ts";
import { auxNeckEdit, dsEdit, icnEdit, type Size } from "../lib/pgi/layouts.ts";

function row(
  size: Size,
  id: string,
  gb: string,
  gn: string,
  edits: Edit[],
  paper: [number, number, number, number],
  extra: Partial<Variant> = {},
): Variant {
  const [ap, aps, apm, apl] = paper;
  const p: PaperRow = { ap, aps, apm, apl };
  const S = size.toUpperCase();
  return {
    id: `${size}_${id}`,
    label: `GELAN-${S} · G_backbone ${gb} · G_neck ${gn}`,
    group: `GELAN-${S}`,
    base: `gelan-${size}`,
    edits,
    paper: p,
    main: { base: `gelan-${size}` },
    ...extra,
  };
}

/**
 * Quick run length of Tables 4 and 5 (they share GELAN-C and YOLOv9-C): GELAN-C at 1/8 width with the
 * quick recipe, seed 0, 3,840 steps, reached val mAP50-95 30.3 % at 1,792 steps, 34.6 % at 2,304 and
 * 41.0 % at the end (2026-12-03). The quick preset of 2026-12-07 trained 2,304 steps (9 epochs): GELAN-C
 * at 30.7, 31.4, 30.8 % after 1,792 of them (seeds 0-2, learning rate still at a third of lr0) and
 * 35.1, 33.9, 34.3 % at the end. A run of 1,792 steps (7 epochs) costs 78 % of 2,304 and decays its
 * learning rate fully in that length; it is the quick length since 2026-12-07 (for the 90-minute goal).
 * Measured (commit 6ba2504, COCO AP): GELAN-C 30.0, 33.7, 30.3 % (mean 31.4, about the mid-run points,
 * not above them), YOLOv9-C 30.8, 28.2, 28.8 %: PGI's auxiliary branch loses more from the shorter run.
 */
export const QUICK_C_STEPS = 1792;

/** Table 4 as data. */
export const TABLE4: Ablation = {
  name: "table4",
  title: "Table 4 — PGI on backbone and neck",
  caption:
    "Auxiliary component on the backbone (G_backbone) and on the neck (G_neck) of GELAN-C and GELAN-E. Columns AP, APS, APM, APL.",
  countColumns: [],
  metrics: ["ap", "aps", "apm", "apl"],
  variants: [
    row("c", "base", "–", "–", [], [52.5, 35.8, 57.6, 69.4]),
    row("c", "pfh", "PFH", "–", [dsEdit("c")], [52.5, 35.3, 58.1, 68.9]),
    row("c", "fpn", "FPN", "–", [auxNeckEdit("c", "fpn")], [52.6, 35.3, 58.1, 68.9]),
    row("c", "neck_icn", "–", "ICN", [icnEdit("c", "neck")], [52.7, 35.3, 58.4, 68.9]),
    row("c", "fpn_neck_icn", "FPN", "ICN", [auxNeckEdit("c", "fpn"), icnEdit("c", "neck")], [
      52.8,
      35.8,
      58.2,
      69.1,
    ]),
    row("c", "icn", "ICN", "–", [icnEdit("c", "backbone")], [52.9, 35.2, 58.7, 68.6]),
    row("c", "lhg_icn", "LHG-ICN", "–", [icnEdit("c", "backbone")], [53.0, 36.3, 58.5, 69.1], { lhg: true }),
    row("e", "base", "–", "–", [], [55.0, 38.0, 60.6, 70.9]),
    row("e", "pfh", "PFH", "–", [dsEdit("e")], [55.3, 38.3, 60.3, 71.6]),
    row("e", "fpn", "FPN", "–", [auxNeckEdit("e", "fpn")], [55.6, 40.2, 61.0, 71.4]),
    row("e", "pan", "PAN", "–", [auxNeckEdit("e", "pan")], [55.5, 39.0, 61.1, 71.5]),
    row("e", "fpn_neck_icn", "FPN", "ICN", [auxNeckEdit("e", "fpn"), icnEdit("e", "neck")], [
      55.6,
      39.8,
      60.9,
      71.9,
    ]),
  ],
  smoke: ["c_base", "c_icn"],
  quick: ["c_base", "c_icn"],
  steps: { quick: QUICK_C_STEPS },
  notes: [
    "PFH = conventional deep supervision (the paper: 'the role of PFH is equivalent to the traditional deep supervision'): auxiliary heads directly on the backbone's P3/P4/P5 (GELAN-E: on its first backbone, where yolov9-e's auxiliary branch reads). The acronym is never expanded in the paper.",
    "FPN = an auxiliary top-down neck (a copy of the main neck's SPPELAN and two up-merge CSP-ELANs) on the backbone levels, feeding the auxiliary heads: yolov9-t/s style; for GELAN-E it is exactly yolov9-e (Table 4's GELAN-E + FPN row equals YOLOv9-E in Table 1). PAN = the whole main neck (top-down and bottom-up) copied as the auxiliary neck.",
    "ICN (backbone) = the auxiliary reversible branch of yolov9-c: a second backbone from the image, linked to the main backbone's P3/P4/P5 by CBLinear/CBFuse (DHLC); this variant is exactly yolov9-c. LHG-ICN = the same model trained with lead-head guided assignment (auxiliary targets assigned from the main head's predictions).",
    "ICN (neck) is not defined by the paper; our reading: the same reversible branch, but its CBLinear projections take the main neck's outputs (the detect head's P3/P4/P5 inputs) instead of the backbone's. FPN + ICN (neck) trains both auxiliary branches (a triple head, auxiliary weights 0.25 + 0.25, as loss_tal_triple).",
    "GELAN-E's FPN + ICN: yolov9-e's auxiliary FPN plus a neck-linked reversible copy of its first backbone (GELAN-E already has the DHLC double backbone in its main branch).",
    "The paper's YOLOv9-C (Table 1, 53.0 AP) matches the LHG-ICN row's AP; the official train_dual.py trains yolov9-c without LHG (ComputeLossLH is commented out).",
  ],
};
