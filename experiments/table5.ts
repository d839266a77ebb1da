/**
 * Paper Table 5 — "Ablation study on PGI": GELAN-S/M/C/E alone, with conventional deep supervision
 * (+DS: auxiliary heads directly on the backbone's P3/P4/P5) and with PGI (+PGI: the official
 * yolov9-s/m/c/e training configs: auxiliary FPN for S and E, auxiliary reversible branch for M and C).
 * @module
 */
import type { Ablation, Variant } from "../lib/ablate/spec.ts";
import { dsEdit, type Size } from "../lib/pgi/layouts.ts";
import { QUICK_C_STEPS } from "./table4.ts";

function rows(size: Size, paper: [number, number, number][]): Variant[] {
  const S = size.toUpperCase();
  const main = { base: `gelan-${size}` };
  const p = (k: number) => ({ ap: paper[k][0], ap50: paper[k][1], ap75: paper[k][2] });
  return [
    {
      id: `${size}_gelan`,
      label: `GELAN-${S}`,
      group: `GELAN-${S}`,
      base: `gelan-${size}`,
      paper: p(0),
      main,
    },
    {
      id: `${size}_ds`,
      label: `GELAN-${S} + DS`,
      group: `GELAN-${S}`,
      base: `gelan-${size}`,
      edits: [dsEdit(size)],
      paper: p(1),
      main,
    },
    {
      id: `${size}_pgi`,
      label: `GELAN-${S} + PGI`,
      group: `GELAN-${S}`,
      base: `yolov9-${size}`,
      paper: p(2),
      main,
    },
  ];
}

/** Table 5 as data. */
export const TABLE5: Ablation = {
  name: "table5",
  title: "Table 5 — PGI against deep supervision",
  caption: "GELAN, + deep supervision, + PGI for S, M, C, E. Columns AP, AP50, AP75.",
  countColumns: [],
  metrics: ["ap", "ap50", "ap75"],
  variants: [
    ...rows("s", [[46.7, 63.0, 50.7], [46.5, 62.9, 50.5], [46.8, 63.4, 50.7]]),
    ...rows("m", [[51.1, 67.9, 55.7], [51.2, 68.2, 55.7], [51.4, 68.1, 56.1]]),
    ...rows("c", [[52.5, 69.5, 57.3], [52.5, 69.9, 57.1], [53.0, 70.3, 57.8]]),
    ...rows("e", [[55.0, 71.9, 60.0], [55.3, 72.3, 60.2], [55.6, 72.8, 60.6]]),
  ],
  smoke: ["s_gelan", "s_pgi"],
  quick: ["c_gelan", "c_pgi"],
  steps: { quick: QUICK_C_STEPS },
  notes: [
    "+DS is the paper's 'deep supervision' (its Fig. 3c), built as auxiliary detect heads directly on the backbone's P3/P4/P5 (GELAN-E: its first backbone); it is the same model as Table 4's PFH rows, whose C and E numbers agree with this table.",
    "+PGI is the official training config of each size (yolov9-s/m/c/e), trained with the official loss (auxiliary branch weight 0.25, separate assignment). The paper's C + PGI (53.0) equals Table 4's LHG-ICN row; its AP50 here (70.3) differs from Table 1's YOLOv9-C (70.2).",
  ],
};
