/**
 * The command-line flags every entry point shares, parsed one way: numbers and integers with their
 * bounds, the image size rule of the official `check_img_size`, and the help line of `--backend`.
 * Errors name the flag, what was expected and what came.
 * @module
 */
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
