/**
 * Training hyperparameters with the official keys of `data/hyps/hyp.scratch-high.yaml`
 * (reference spec §5.1) or of YOLOv7's `hyp.scratch.p5.yaml`: loaded from a YAML file or a mapping,
 * checked key by key.
 * @module
 */
import { parse } from "yaml";
import type { Hyp } from "../data/types.ts";
import { HYP_SCRATCH_HIGH, HYP_SCRATCH_P5 } from "../data/hyp.ts";

/** The values of the official `data/hyps/hyp.scratch-high.yaml` (all keys, verbatim). */
export const DEFAULT_HYP: Readonly<Hyp> = HYP_SCRATCH_HIGH;

/** Keys a hyp file may carry besides {@link DEFAULT_HYP}'s (evolve's `anchors`, train.py's `label_smoothing`). */
export const OPTIONAL_HYP_KEYS: readonly string[] = ["anchors", "label_smoothing"];

/** The official tables a hyp file may follow (a file must carry every key of one of them). */
const TABLES: readonly Readonly<Hyp>[] = [HYP_SCRATCH_HIGH, HYP_SCRATCH_P5];
const TABLE_NAMES = ["hyp.scratch-high", "hyp.scratch.p5"];

/** Options of {@link loadHyp}. */
export interface LoadHypOptions {
  /** Values of keys a mapping leaves out (default {@link DEFAULT_HYP}; YOLOv7 runs use hyp.scratch.p5). */
  defaults?: Readonly<Hyp>;
  /**
   * Every key of {@link DEFAULT_HYP} must be present (default: true for files, false for mappings,
   * whose missing keys take the defaults, so `{lr0: 0.02}` is an override).
   */
  complete?: boolean;
  /** Name of the source in error messages (default: the path, or "<hyp mapping>"). */
  source?: string;
}

/**
 * Check a hyp mapping against the official keys: unknown keys, missing keys (when `complete`) and
 * non-numeric values are errors naming the source. Returns a new object with the defaults filled in.
 */
export function resolveHyp(raw: unknown, opts: LoadHypOptions & { source: string }): Hyp {
  const src = opts.source;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new TypeError(`Invalid hyperparameters ${src}: expected a mapping of key: number, got ${JSON.stringify(raw)}`);
  }
  const m = raw as Record<string, unknown>;
  const known = new Set([...TABLES.flatMap((t) => Object.keys(t)), ...OPTIONAL_HYP_KEYS]);
  const unknown = Object.keys(m).filter((k) => !known.has(k));
  if (unknown.length) {
    throw new RangeError(
      `Invalid hyperparameters ${src}: unknown key${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} ` +
        `(official keys: ${[...known].join(", ")})`,
    );
  }
  const bad = Object.entries(m).filter(([, v]) => typeof v !== "number" || !Number.isFinite(v));
  if (bad.length) {
    throw new TypeError(
      `Invalid hyperparameters ${src}: expected finite numbers, got ` +
        bad.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(", "),
    );
  }
  const missing = TABLES.map((t) => Object.keys(t).filter((k) => !(k in m)));
  const full = TABLES.find((_, i) => !missing[i].length);
  if (opts.complete && !full) {
    const least = Math.min(...missing.map((x) => x.length));
    const closest = missing.flatMap((x, i) => (x.length === least ? [`${x.join(", ")} (of ${TABLE_NAMES[i]})`] : []));
    throw new RangeError(`Invalid hyperparameters ${src}: missing key${least > 1 ? "s" : ""} ${closest.join(" or ")}`);
  }
  return { ...(full ?? opts.defaults ?? DEFAULT_HYP), ...(m as Hyp) };
}

/**
 * Load hyperparameters (as `train_dual.py` does with `--hyp`): a YAML path (strict: every key of
 * hyp.scratch-high or of YOLOv7's hyp.scratch.p5), a mapping (overrides of `defaults`), or nothing (the defaults).
 *
 * @example
 * ```ts
 * const hyp = await loadHyp("data/hyps/hyp.scratch-high.yaml");
 * const quick = await loadHyp({ mosaic: 0.5 });
 * ```
 */
export async function loadHyp(pathOrDict?: string | Record<string, unknown>, opts: LoadHypOptions = {}): Promise<Hyp> {
  if (pathOrDict === undefined) return { ...(opts.defaults ?? DEFAULT_HYP) };
  if (typeof pathOrDict !== "string") {
    return resolveHyp(pathOrDict, { complete: false, ...opts, source: opts.source ?? "<hyp mapping>" });
  }
  let text: string;
  try {
    text = await Deno.readTextFile(pathOrDict);
  } catch (e) {
    throw new Deno.errors.NotFound(`Cannot read hyperparameters ${pathOrDict}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new SyntaxError(`Invalid hyperparameters ${pathOrDict}: not valid YAML (${(e as Error).message.split("\n")[0]})`);
  }
  return resolveHyp(raw, { complete: true, ...opts, source: opts.source ?? pathOrDict });
}
