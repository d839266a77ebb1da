/**
 * The golden runner: every `<stem>.json` sidecar of a folder whose `"case"` names a known kind is run
 * by that kind's handler; results are per case and per tensor. Nothing depends on file names.
 * @module
 */
import type { CaseReport } from "./types.ts";
import { runForwardCase } from "./forward.ts";
import { runReparamCase } from "./reparam.ts";
import { runAssignerCase } from "./assigner.ts";
import { runLossCase } from "./loss.ts";
import { runNmsCase } from "./nms.ts";
import { runCheckpointCase } from "./checkpoint.ts";
import { runCocoCase } from "./coco.ts";

/** Options passed to every handler. */
export interface CaseOptions {
  backend?: string;
}

/** A golden case handler. */
export type CaseHandler = (dir: string, stem: string, sidecar: Record<string, unknown>, opts: CaseOptions) => Promise<CaseReport>;

/** Handlers by the sidecar's `"case"` value. */
export const CASE_HANDLERS: Record<string, CaseHandler> = {
  forward: runForwardCase,
  reparameterization: runReparamCase,
  assigner: runAssignerCase,
  loss: runLossCase,
  nms: runNmsCase,
  checkpoint: runCheckpointCase,
  coco_map: runCocoCase,
};

/** A sidecar found in a folder. */
export interface FoundCase {
  stem: string;
  kind: string;
  sidecar: Record<string, unknown>;
}

/** The kind given to a `.json` file that cannot be parsed: it is listed (and fails) whatever the filter. */
export const CORRUPT_SIDECAR = "corrupt-sidecar";

/**
 * List the cases of a folder (sorted by stem); `kinds` filters by case kind. A `.json` file that is not
 * valid JSON is listed as a {@link CORRUPT_SIDECAR} case (its run fails naming the file), never dropped;
 * valid JSON without a `"case"` (e.g. a COCO annotation file) is not a case.
 */
export async function listCases(dir: string, kinds?: string[]): Promise<FoundCase[]> {
  const found: FoundCase[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || !e.name.endsWith(".json")) continue;
    let sidecar: unknown;
    try {
      sidecar = JSON.parse(await Deno.readTextFile(`${dir}/${e.name}`));
    } catch (err) {
      const error = `${dir}/${e.name} is not valid JSON (${(err as Error).message}): corrupt sidecar`;
      found.push({ stem: e.name.slice(0, -5), kind: CORRUPT_SIDECAR, sidecar: { error } });
      continue;
    }
    if (typeof sidecar !== "object" || sidecar === null || Array.isArray(sidecar)) continue;
    const kind = (sidecar as Record<string, unknown>).case;
    if (typeof kind !== "string" || (kinds && !kinds.includes(kind))) continue;
    found.push({ stem: e.name.slice(0, -5), kind, sidecar: sidecar as Record<string, unknown> });
  }
  return found.sort((a, b) => a.stem.localeCompare(b.stem));
}

/** Run one case; a thrown error becomes a failed check so the other cases still run. */
export async function runCase(dir: string, c: FoundCase, opts: CaseOptions = {}): Promise<CaseReport> {
  if (c.kind === CORRUPT_SIDECAR) {
    return { case: c.kind, stem: c.stem, checks: [{ name: "sidecar", error: Infinity, tol: 0, pass: false, note: String(c.sidecar.error) }] };
  }
  const handler = CASE_HANDLERS[c.kind];
  if (!handler) return { case: c.kind, stem: c.stem, checks: [{ name: "handler", error: Infinity, tol: 0, pass: false, note: `no handler for case "${c.kind}"` }] };
  try {
    return await handler(dir, c.stem, c.sidecar, opts);
  } catch (e) {
    return { case: c.kind, stem: c.stem, checks: [{ name: "run", error: Infinity, tol: 0, pass: false, note: (e as Error).message }] };
  }
}
