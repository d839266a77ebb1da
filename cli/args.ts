/**
 * The command-line flags every entry point shares, parsed one way: numbers and integers with their
 * bounds, the image size rule of the official `check_img_size`, the help line of `--backend`, and
 * parsing with `-h/--help` and usage errors handled one way. Errors name the flag, what was expected
 * and what came.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { BACKEND_ORDER } from "../lib/backend/backend.ts";

/** The largest stride of every shipped model: image sizes are multiples of it. */
export const MAX_STRIDE = 32;

/** The `--backend` line of every usage text. */
export const BACKEND_HELP = `--backend X       ${BACKEND_ORDER.join(" | ")} (default: the fastest present)`;

/** Bounds of a numeric flag. */
export interface NumberRule {
  min?: number;
  max?: number;
  /** The value must be an integer. */
  int?: boolean;
  /** `max` itself is not allowed. */
  belowMax?: boolean;
}

/**
 * The number in flag `--name`'s text `v`, checked against `rule`; undefined when `v` is.
 *
 * @example
 * ```ts
 * numberFlag("16", "batch", { int: true, min: 1 }); // 16
 * ```
 */
export function numberFlag(v: string | undefined, name: string, rule: NumberRule = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  const ok = v.trim() !== "" && Number.isFinite(n) && (!rule.int || Number.isInteger(n)) &&
    (rule.min === undefined || n >= rule.min) &&
    (rule.max === undefined || (rule.belowMax ? n < rule.max : n <= rule.max));
  if (!ok) {
    const bounds = [
      rule.min !== undefined ? `>= ${rule.min}` : "",
      rule.max !== undefined ? `${rule.belowMax ? "<" : "<="} ${rule.max}` : "",
    ].filter(Boolean).join(" and ");
    throw new RangeError(`--${name}: expected ${rule.int ? "an integer" : "a number"}${bounds ? ` ${bounds}` : ""}, got "${v}"`);
  }
  return n;
}

/** A fraction in [0, 1] (confidence and IoU thresholds). */
export const UNIT: NumberRule = { min: 0, max: 1 };

/** A count: an integer >= 0. */
export const COUNT: NumberRule = { int: true, min: 0 };

/** {@link numberFlag} for a flag that has a value (a default or a required flag). */
export function needNumber(v: string | undefined, name: string, rule: NumberRule = {}): number {
  const n = numberFlag(v, name, rule);
  if (n === undefined) throw new RangeError(`--${name}: expected a value`);
  return n;
}

/** A count flag: an integer >= `min` (default 0). */
export function intFlag(v: string | undefined, name: string, min = 0): number {
  return needNumber(v, name, { int: true, min });
}

/**
 * The image size of `--img` (official `check_img_size`): an integer >= 32, rounded up to a multiple of
 * the largest stride 32 with a warning on stderr when it is not one.
 */
export function imgFlag(v: string | undefined, name = "img"): number {
  const n = intFlag(v, name, MAX_STRIDE);
  const rounded = Math.ceil(n / MAX_STRIDE) * MAX_STRIDE;
  if (rounded !== n) console.error(`WARNING --${name} ${n} must be a multiple of max stride ${MAX_STRIDE}, updating to ${rounded}`);
  return rounded;
}

/** A command line that does not parse: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

/** Flag definitions as `node:util` parseArgs takes them. */
export type FlagOptions = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parse `args` strictly against `options` plus `-h/--help`: the parsed flags, or null after printing
 * `usage` for `--help`; an unknown or malformed flag throws a {@link UsageError} carrying the usage.
 *
 * @example
 * ```ts
 * const flags = parseFlags(["--gt", "a.json"], { gt: { type: "string" } }, "usage: ...");
 * ```
 */
export function parseFlags<O extends FlagOptions>(
  args: string[],
  options: O,
  usage: string,
  opts: { positionals?: boolean } = {},
): { values: { [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : O[K]["multiple"] extends true ? string[] : string }; positionals: string[] } | null {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: !!opts.positionals,
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${usage}`);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    return null;
  }
  return parsed as never;
}

/** Run a `main(args)` that returns an exit code; a {@link UsageError} prints its text and gives 2. */
export async function exitCode(main: () => Promise<number>): Promise<number> {
  try {
    return await main();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(e.message);
    return 2;
  }
}
