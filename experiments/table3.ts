/**
 * Paper Table 3 — "Ablation study on ELAN and CSP depth": GELAN-S, -M and -C with (D_ELAN, D_CSP) =
 * (2,1), (2,2), (3,1), (2,3), and (1,1) for C. D_ELAN = computational branches chained in every
 * RepNCSPELAN4, D_CSP = its c5 (official issue #309); the official models are S (2,3), M (2,1), C (2,1).
 * @module
 */
import type { Ablation, PaperRow, Variant } from "../lib/ablate/spec.ts";

function row(
  size: "S" | "M" | "C",
  dElan: number,
  dCsp: number,
  params: number,
  gflops: number,
  ap: number,
): Variant {
  const paper: PaperRow = { params, gflops, ap };
  return {
    id: `${size.toLowerCase()}_e${dElan}_c${dCsp}`,
    label: `GELAN-${size} · D_ELAN ${dElan}, D_CSP ${dCsp}`,
    group: `GELAN-${size}`,
    base: `gelan-${size.toLowerCase()}`,
    edits: [{ op: "gelan_block", block: "CSP", d_elan: dElan, d_csp: dCsp }],
    paper,
  };
}

/** Table 3 as data. */
export const TABLE3: Ablation = {
  name: "table3",
  title: "Table 3 — ELAN and CSP depth",
  caption: "D_ELAN x D_CSP of every CSP-ELAN in GELAN-S, -M, -C. Columns #Param., FLOPs, AP.",
  countColumns: ["params", "gflops"],
  metrics: ["ap"],
  variants: [
    row("S", 2, 1, 5.9, 22.4, 45.5),
    row("S", 2, 2, 6.5, 24.4, 46.0),
    row("S", 3, 1, 7.1, 26.3, 46.5),
    row("S", 2, 3, 7.1, 26.4, 46.7),
    row("M", 2, 1, 20.0, 76.3, 51.1),
    row("M", 2, 2, 22.2, 85.1, 51.7),
    row("M", 3, 1, 24.3, 93.5, 51.8),
    row("M", 2, 3, 24.4, 94.0, 52.3),
    row("C", 1, 1, 18.9, 77.5, 50.7),
    row("C", 2, 1, 25.3, 102.1, 52.5),
    row("C", 2, 2, 28.6, 114.4, 53.0),
    row("C", 3, 1, 31.7, 126.8, 53.2),
    row("C", 2, 3, 31.9, 126.7, 53.3),
  ],
  smoke: ["s_e2_c1", "s_e2_c3"],
  quick: ["s_e2_c1", "s_e2_c3"],
  notes: [
    "GELAN-S keeps its first ELAN1 block; only the RepNCSPELAN4 blocks take the (D_ELAN, D_CSP) of the row.",
    "The paper prints 77.5G for GELAN-C (1,1); the model computes 77.44G (reference spec §1.15), so that cell differs by 0.1 after rounding.",
  ],
};
