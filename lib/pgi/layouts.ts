/**
 * The auxiliary-branch edits of Tables 4 and 5, per GELAN size, as data: where the backbone levels
 * P3/P4/P5 and their down-sampling layers are, which rows form the main neck, and how each auxiliary
 * component attaches. All indices are those of the official gelan-{s,m,c,e}.yaml.
 *
 * - DS / PFH (conventional deep supervision, paper Fig. 3c): auxiliary heads directly on the backbone's
 *   P3/P4/P5 (for E: on the first backbone, where yolov9-e's auxiliary neck reads).
 * - FPN: a top-down auxiliary neck (copy of the main neck's SPPELAN + two up-merge CSP-ELANs) on the
 *   backbone levels; for S this is exactly yolov9-s, for E exactly yolov9-e.
 * - PAN: the whole main neck (top-down + bottom-up) copied as the auxiliary neck (E only).
 * - ICN (backbone): the reversible branch of yolov9-m/c: a copy of the backbone from the image, linked
 *   by CBLinear/CBFuse (DHLC) to the main backbone's P3/P4/P5; exactly yolov9-m / yolov9-c.
 * - ICN (neck): the same branch linked to the main neck's outputs instead of the backbone's.
 * @module
 */
import type { AuxEdit } from "./aux_branches.ts";

/** Sizes with a GELAN config. */
export type Size = "s" | "m" | "c" | "e";

interface Layout {
  /** Backbone P3, P4, P5 (for E: the first backbone). */
  levels: [number, number, number];
  /** The down-sampling rows entering P3, P4, P5. */
  downs: [number, number, number];
  /** Backbone rows copied for the reversible branch (first one reads the image / Silence). */
  backbone: [number, number];
  /** Main neck: first row, last top-down row (P3), last row. */
  neck: [number, number, number];
  /** Main head inputs P3, P4, P5. */
  outputs: [number, number, number];
  /** The neck's P4 top-down row. */
  p4: number;
  /** Backbone rows the main neck reads, redirected to `levels` for an auxiliary neck (E). */
  remap?: Record<string, number>;
  /** Insert the auxiliary neck before this row (E, as yolov9-e); default before the head. */
  at?: number;
}

const GELAN: Layout = {
  levels: [4, 6, 8],
  downs: [3, 5, 7],
  backbone: [0, 8],
  neck: [9, 15, 21],
  outputs: [15, 18, 21],
  p4: 12,
};

/** Layouts of the official GELAN configs. */
export const LAYOUTS: Readonly<Record<Size, Layout>> = {
  s: GELAN,
  m: GELAN,
  c: GELAN,
  e: {
    levels: [5, 7, 9],
    downs: [4, 6, 8],
    backbone: [1, 9],
    neck: [29, 35, 41],
    outputs: [35, 38, 41],
    p4: 32,
    remap: { 28: 9, 25: 7, 22: 5 },
    at: 29,
  },
};

/** Deep supervision (PFH): auxiliary heads on the backbone levels. */
export function dsEdit(size: Size): AuxEdit {
  return { op: "aux_head", levels: [...LAYOUTS[size].levels] };
}

/** Multi-level auxiliary information through an auxiliary FPN (top-down) or PAN (whole neck) copy. */
export function auxNeckEdit(size: Size, kind: "fpn" | "pan"): AuxEdit {
  const l = LAYOUTS[size];
  const last = kind === "fpn" ? l.neck[1] : l.neck[2];
  const outputs = kind === "fpn" ? [l.neck[1], l.p4, l.neck[0]] : [...l.outputs];
  return {
    op: "aux_neck",
    copy: [l.neck[0], last],
    outputs,
    ...(l.remap ? { remap: l.remap } : {}),
    ...(l.at !== undefined ? { at: l.at } : {}),
  };
}

/** The auxiliary reversible branch (ICN) linked to the backbone levels or to the neck outputs. */
export function icnEdit(size: Size, source: "backbone" | "neck"): AuxEdit {
  const l = LAYOUTS[size];
  return {
    op: "icn",
    copy: [...l.backbone],
    sources: source === "backbone" ? [...l.levels] : [...l.outputs],
    levels: [...l.levels],
    fuse_after: [...l.downs],
  };
}
