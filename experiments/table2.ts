/**
 * Paper Table 2 — "Ablation study on various computational blocks": the computational block inside
 * every CSP-ELAN (RepNCSPELAN4) of GELAN-S with D_ELAN 2, D_CSP 1, replaced by a plain 3x3 Conv, a
 * ResNet bottleneck (Res), a Darknet residual (Dark) or the CSP block of YOLOv9 (reference spec §1.15:
 * these replacements give exactly the paper's #Param. / FLOPs).
 * @module
 */
import type { Ablation, Variant } from "../lib/ablate/spec.ts";
import type { GelanBlockName } from "../lib/ablate/edits.ts";

function row(block: GelanBlockName, label: string, params: number, gflops: number, ap: number): Variant {
  return {
    id: block.toLowerCase(),
    label: `GELAN-S · ${label}`,
    group: "GELAN-S",
    base: "gelan-s",
    edits: [{ op: "gelan_block", block, d_csp: 1, d_elan: 2 }],
    paper: { params, gflops, ap },
  };
}

/** Table 2 as data. */
export const TABLE2: Ablation = {
  name: "table2",
  title: "Table 2 — computational blocks in GELAN-S",
  caption:
    "CB type inside every CSP-ELAN of GELAN-S (D_ELAN 2, D_CSP 1): Conv, Res, Dark, CSP. Columns #Param., FLOPs, AP.",
  countColumns: ["params", "gflops"],
  metrics: ["ap"],
  variants: [
    row("Conv", "Conv", 6.2, 23.5, 44.8),
    row("Res", "Res", 5.4, 21.0, 44.3),
    row("Dark", "Dark", 5.7, 21.8, 44.5),
    row("CSP", "CSP", 5.9, 22.4, 45.5),
  ],
  smoke: ["conv", "csp"],
  quick: ["csp", "res"],
  notes: [
    "The paper does not say which GELAN-S Table 2 uses; its CSP row equals Table 3's GELAN-S (D_ELAN 2, D_CSP 1), so every block is built inside that model (the first ELAN1 of GELAN-S is kept).",
    "Res = Conv 1x1 -> Conv 3x3 -> Conv 1x1 with a residual; Dark = Conv 1x1 -> Conv 3x3 with a residual (YOLOv3); Conv = one Conv 3x3; CSP = RepNCSP (official). Whether the paper's Res/Dark used RepConv 3x3s does not change fused counts.",
  ],
};
