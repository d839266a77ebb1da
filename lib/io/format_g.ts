/**
 * Python's `%g` number format (results.csv, console tables and YOLO txt lines of the official scripts).
 * @module
 */

/**
 * Python `'%.{prec}g' % x`.
 *
 * @example
 * ```ts
 * formatG(0.000012345, 3); // "1.23e-05"
 * ```
 */
export function formatG(x: number, prec: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const p = Math.max(prec, 1);
  const [mant, expStr] = x.toExponential(p - 1).split("e");
  const exp = Number(expStr);
  const strip = (s: string) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  if (exp < -4 || exp >= p) {
    return `${strip(mant)}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return strip(x.toFixed(Math.max(p - 1 - exp, 0)));
}
