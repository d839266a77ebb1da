/**
 * The registry of `deno task ablate`: every experiment that reproduces a table or figure of the paper.
 * Tables are data ({@link Ablation}); the two figures come from the information-bottleneck work
 * (Fig. 2/6) and from short trainings of GELAN-C and YOLOv9-C (Fig. 7).
 * @module
 */
import type { Ablation, Figure } from "../lib/ablate/spec.ts";
import { TABLE2 } from "./table2.ts";
import { TABLE3 } from "./table3.ts";
import { TABLE4 } from "./table4.ts";
import { TABLE5 } from "./table5.ts";
import { TABLE6 } from "./table6.ts";
import { FIG2_6 } from "./fig2_6.ts";
import { FIG7 } from "./fig7.ts";

/** The tables, in paper order. */
export const TABLES: readonly Ablation[] = [TABLE2, TABLE3, TABLE4, TABLE5, TABLE6];

/** The figures. */
export const FIGURES: readonly Figure[] = [FIG2_6, FIG7];

/** Every experiment name (`--table` accepts these). */
export const EXPERIMENT_NAMES: readonly string[] = [
  ...TABLES.map((t) => t.name),
  ...FIGURES.map((f) => f.name),
];

/** Split a `--table` list into known tables and figures; throws naming unknown names. */
export function selectExperiments(names?: readonly string[]): { tables: Ablation[]; figures: Figure[] } {
  if (!names || !names.length || names.includes("all")) return { tables: [...TABLES], figures: [...FIGURES] };
  const bad = names.filter((n) => !EXPERIMENT_NAMES.includes(n));
  if (bad.length) {
    throw new RangeError(
      `Unknown experiment ${bad.join(", ")}: expected some of ${EXPERIMENT_NAMES.join(", ")} (or all)`,
    );
  }
  return {
    tables: TABLES.filter((t) => names.includes(t.name)),
    figures: FIGURES.filter((f) => names.includes(f.name)),
  };
}
