/**
 * The recipe sweep of the quick preset (`deno task ablate --sweep`): GELAN-S (D_ELAN 2, D_CSP 1; Table 2's
 * CSP row = Table 3's first) at the preset's 1/8 width on its 16,384 fresh MNIST-Det images, lr0 and batch
 * at about equal wall time, then the chosen point at two lengths. Results: lib/ablate/presets.ts.
 * @module
 */
import type { RecipeSweep } from "../lib/ablate/sweep.ts";
import { TABLE2 } from "./table2.ts";

const point = (batch: number, epochs: number, lr0: number, warmup_epochs: number) => ({
  id: `b${batch}_lr${lr0}_e${epochs}`,
  batch,
  epochs,
  hyp: { lr0, warmup_epochs },
});

/** The sweep as data. */
export const QUICK_SWEEP: RecipeSweep = {
  variant: TABLE2.variants.find((v) => v.id === "csp")!,
  seeds: [0],
  points: [
    ...[0.01, 0.02, 0.04].flatMap((lr) => [point(32, 3, lr, 0.4), point(64, 5, lr, 0.4)]),
    point(64, 10, 0.02, 0.5),
    point(64, 15, 0.02, 0.5),
  ],
};
