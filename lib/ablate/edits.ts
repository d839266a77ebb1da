/**
 * Config edits that build the paper's ablation variants from a GELAN config, as data. Layer indices
 * in an edit are those of the unedited base config.
 *
 * - `gelan_block`: every RepNCSPELAN4 gets computational block / D_CSP / D_ELAN (Tables 2 and 3).
 * - `aux_head`, `aux_neck`, `icn`: PGI's auxiliary branches (Tables 4 and 5), see `lib/pgi/aux_branches.ts`.
 * @module
 */
import { fromWork, toWork, type Work } from "../graph/config_rows.ts";
import { applyAuxEdit, AUX_OPS, type AuxEdit } from "../pgi/aux_branches.ts";
import { MODULES } from "../models/modules.ts";
import { GELAN_DEFAULTS, type GelanBlock } from "../gelan/rep_ncsp_elan4.ts";

/** The computational blocks of Table 2. */
export type GelanBlockName = GelanBlock;

/** One config edit (see the module doc). */
export type Edit =
  | { op: "gelan_block"; block?: GelanBlockName; d_csp?: number; d_elan?: number }
  | AuxEdit;

function fail(edit: Edit, msg: string): never {
  throw new SyntaxError(`config edit ${JSON.stringify(edit)}: ${msg}`);
}

function gelanBlock(w: Work, e: Extract<Edit, { op: "gelan_block" }>): Work {
  let found = 0;
  const rows = w.rows.map((r) => {
    if (r[2] !== "RepNCSPELAN4") return r;
    found++;
    const a = r[3];
    const c5 = e.d_csp ?? (a[3] as number | undefined) ?? GELAN_DEFAULTS.c5;
    const d = e.d_elan ?? (a[4] as number | undefined) ?? GELAN_DEFAULTS.dElan;
    const block = e.block ?? (a[5] as string | undefined) ?? GELAN_DEFAULTS.block;
    const args = d === GELAN_DEFAULTS.dElan && block === GELAN_DEFAULTS.block ? [a[0], a[1], a[2], c5] : [a[0], a[1], a[2], c5, d, block];
    return [r[0], r[1], r[2], args] as typeof r;
  });
  if (!found) fail(e, "the config has no RepNCSPELAN4 row");
  return { ...w, rows };
}

/** Apply one edit to a {@link Work}. */
export function applyEdit(w: Work, e: Edit): Work {
  if (e.op === "gelan_block") return gelanBlock(w, e);
  if (AUX_OPS.includes(e.op)) return applyAuxEdit(w, e, MODULES);
  throw new SyntaxError(
    `config edit: unknown op ${
      JSON.stringify((e as { op: unknown }).op)
    } (expected gelan_block, ${AUX_OPS.join(", ")})`,
  );
}

/** Apply `edits` in order to an official-format mapping; returns a new mapping. */
export function applyEdits(cfg: Record<string, unknown>, edits: readonly Edit[]): Record<string, unknown> {
  let w = toWork(cfg);
  for (const e of edits) w = applyEdit(w, e);
  return fromWork(w);
}
