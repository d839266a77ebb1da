/**
 * PGI's auxiliary branches as config edits (paper Sec. 4.1, Fig. 3; Tables 4 and 5). Layer indices in
 * an edit are those of the unedited base config.
 *
 * - `aux_head`: an auxiliary detect branch directly on main-branch features: conventional deep
 *   supervision (Table 4 "PFH", Table 5 "+DS").
 * - `aux_neck`: an auxiliary neck = a copy of main rows `copy[0]..copy[1]` (the top-down part = FPN, the
 *   whole neck = PAN) with references redirected by `remap`, feeding an auxiliary branch from the copies
 *   of `outputs` (multi-level auxiliary information, as yolov9-t/s and yolov9-e).
 * - `icn`: the auxiliary reversible branch of yolov9-m/c: a copy of backbone rows `copy[0]..copy[1]`
 *   reading the image through a `Silence` layer 0, with a CBFuse after the copy of each `fuse_after` row
 *   summing CBLinear projections of the main features `sources` (DHLC linkage), auxiliary heads on the
 *   copies of `levels`. With `sources` = backbone levels it is Table 4's backbone ICN (= yolov9-c);
 *   with `sources` = the neck's outputs it is Table 4's neck ICN.
 *
 * Each edit adds a head branch before the main one (DDetect -> DualDDetect -> TripleDDetect).
 * @module
 */
import { parseModelConfig } from "../graph/config.ts";
import type { ModuleTable } from "../graph/module_def.ts";
import { parseModel } from "../graph/spec.ts";
import {
  absFrom,
  copyRows,
  curIndex,
  fromWork,
  headIndex,
  insertRows,
  type NewRow,
  setHead,
  type Work,
} from "../graph/config_rows.ts";

/** One auxiliary-branch edit (see the module doc). */
export type AuxEdit =
  | { op: "aux_head"; levels: number[] }
  | { op: "aux_neck"; copy: [number, number]; outputs: number[]; remap?: Record<string, number>; at?: number }
  | { op: "icn"; copy: [number, number]; sources: number[]; levels: number[]; fuse_after: number[] };

/** The op names of {@link AuxEdit}. */
export const AUX_OPS: readonly string[] = ["aux_head", "aux_neck", "icn"];

const HEADS = ["DDetect", "DualDDetect", "TripleDDetect"];

function fail(edit: AuxEdit, msg: string): never {
  throw new SyntaxError(`config edit ${JSON.stringify(edit)}: ${msg}`);
}

/** Add an auxiliary branch reading current layers `aux` to the head (before the main branch). */
function addBranch(w: Work, aux: number[], edit: AuxEdit): Work {
  const h = headIndex(w);
  const module = String(w.rows[h][2]);
  const k = HEADS.indexOf(module);
  if (k < 0 || k === HEADS.length - 1) {
    fail(edit, `cannot add a branch to a ${module} head (expected DDetect or DualDDetect)`);
  }
  const from = absFrom(w.rows[h], h);
  const nl = from.length / (k + 1);
  if (aux.length !== nl) {
    fail(edit, `expected ${nl} auxiliary levels (one per head level), got ${aux.length}`);
  }
  return setHead(w, HEADS[k + 1], [...from.slice(0, from.length - nl), ...aux, ...from.slice(-nl)]);
}

function auxNeck(w: Work, e: Extract<AuxEdit, { op: "aux_neck" }>): Work {
  const [a, b] = [curIndex(w, e.copy[0]), curIndex(w, e.copy[1])];
  if (b - a !== e.copy[1] - e.copy[0]) fail(e, "the copy range is not contiguous in the edited config");
  const remap = new Map(
    Object.entries(e.remap ?? {}).map(([k, v]) => [curIndex(w, Number(k)), curIndex(w, v)]),
  );
  const rows = copyRows(w, a, b, remap);
  const at = e.at === undefined ? headIndex(w) : curIndex(w, e.at);
  const outs = e.outputs.map((o) => {
    const c = curIndex(w, o);
    if (c < a || c > b) fail(e, `output ${o} is not inside the copied rows ${e.copy[0]}..${e.copy[1]}`);
    return c - a;
  });
  const next = insertRows(w, at, rows);
  return addBranch(next, outs.map((k) => at + k), e);
}

/** Output channels of every current row (via the model graph). */
function channels(w: Work, modules: ModuleTable): (number | number[])[] {
  const spec = parseModel(parseModelConfig(fromWork(w), "<edited config>"), modules);
  return spec.layers.map((l) => l.c2);
}

function icn(w0: Work, e: Extract<AuxEdit, { op: "icn" }>, modules: ModuleTable): Work {
  const n = e.levels.length;
  if (e.sources.length !== n || e.fuse_after.length !== n) {
    fail(e, "expected as many sources and fuse_after rows as levels");
  }
  let w = w0;
  if (w.rows[0][2] !== "Silence") {
    w = insertRows(w, 0, [{ from: [], module: "Silence", args: [] }]);
    w.rows[0] = [-1, 1, "Silence", []];
  }
  const [a, b] = [curIndex(w, e.copy[0]), curIndex(w, e.copy[1])];
  const fuseAfter = e.fuse_after.map((f) => curIndex(w, f));
  const levels = e.levels.map((l) => curIndex(w, l));
  for (const x of [...fuseAfter, ...levels]) {
    if (x < a || x > b) fail(e, `layer ${x} is not inside the copied rows`);
  }
  const ch = channels(w, modules);
  const fuseCh = fuseAfter.map((f) => ch[f] as number);
  // CBLinear of source k emits the channel groups of fuse levels 0..k.
  const added: NewRow[] = e.sources.map((s, k) => ({
    from: [{ cur: curIndex(w, s) }],
    module: "CBLinear",
    args: [fuseCh.slice(0, k + 1)],
  }));
  const copies = copyRows(w, a, b);
  const copyAt = new Map<number, number>(); // current row -> index among added rows of its copy
  copies.forEach((r, k) => {
    r.from = r.from.map((ref) => ("added" in ref ? { added: copyAt.get(a + ref.added)! } : ref));
    added.push(r);
    copyAt.set(a + k, added.length - 1);
    const level = fuseAfter.indexOf(a + k);
    if (level >= 0) {
      const linked = e.sources.map((_, s) => s).filter((s) => s >= level);
      added.push({
        from: [...linked.map((s) => ({ added: s })), { added: added.length - 1 }],
        module: "CBFuse",
        args: [linked.map(() => level)],
        list: true,
      });
      copyAt.set(a + k, added.length - 1);
    }
  });
  // Heads read the copies of the level rows (after their fuse when a level row is also a fuse row).
  const at = headIndex(w);
  const auxOut = levels.map((l) => at + copyAt.get(l)!);
  return addBranch(insertRows(w, at, added), auxOut, e);
}

/** Apply one auxiliary-branch edit; `modules` resolves the edited rows' channels (for CBLinear). */
export function applyAuxEdit(w: Work, e: AuxEdit, modules: ModuleTable): Work {
  switch (e.op) {
    case "aux_head":
      return addBranch(w, e.levels.map((l) => curIndex(w, l)), e);
    case "aux_neck":
      return auxNeck(w, e);
    case "icn":
      return icn(w, e, modules);
  }
}
