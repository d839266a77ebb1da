/**
 * One scaling rule for CPU-scale experiments: every channel argument of every row (not only the first
 * one, as the official `width_multiple` does) is multiplied by `width` and rounded up to a multiple of
 * `divisor`, so inner widths (c3/c4 of RepNCSPELAN4 and ELAN1, c3 of SPPELAN, CBLinear channel groups)
 * shrink with the outputs and the graph stays identical: same rows, same `from`, same modules, same
 * CBFuse indices. `depth` optionally scales D_CSP (RepNCSPELAN4's c5); D_ELAN and row repeats are kept.
 * A channel count `c` always maps to the same scaled count, so channels that must agree (a CBLinear
 * group and the CBFuse target it is added to) still agree.
 * @module
 */

/** Options of {@link scaleConfig}. */
export interface ScaleOptions {
  /** Channel multiplier (e.g. 0.125). */
  width: number;
  /** D_CSP multiplier (RepNCSPELAN4 c5 -> max(1, round(c5 * depth))). Default 1. */
  depth?: number;
  /** Scaled channels are rounded up to a multiple of this (at least this). Default 8. */
  divisor?: number;
}

/** Per module: indices of channel arguments, and of the D_CSP argument (RepNCSPELAN4). */
interface ScaleRule {
  channels: number[];
  depth?: number;
  /** Argument 0 is a list of channel counts (CBLinear). */
  list?: boolean;
}

const RULES: Record<string, ScaleRule> = {
  Conv: { channels: [0] },
  AConv: { channels: [0] },
  ADown: { channels: [0] },
  SPPCSPC: { channels: [0] },
  RepConv: { channels: [0] },
  RepNCSP: { channels: [0] },
  Bottleneck: { channels: [0] },
  BottleneckBase: { channels: [0] },
  Res: { channels: [0] },
  RepNBottleneck: { channels: [0] },
  ELAN1: { channels: [0, 1, 2] },
  RepNCSPELAN4: { channels: [0, 1, 2], depth: 3 },
  SPPELAN: { channels: [0, 1] },
  CBLinear: { channels: [0], list: true },
};

/** Modules without channel arguments. */
const NO_CHANNELS = new Set([
  "Silence",
  "Upsample",
  "Concat",
  "CBFuse",
  "SP",
  "MP",
  "DDetect",
  "DualDDetect",
  "TripleDDetect",
  "Detect",
  "IDetect",
]);

/** Scaled channel count: `ceil(c * width / divisor) * divisor`, at least `divisor`. */
export function scaleChannels(c: number, width: number, divisor = 8): number {
  return Math.max(divisor, Math.ceil((c * width) / divisor - 1e-9) * divisor);
}

function scaleRow(row: unknown, where: string, o: Required<ScaleOptions>): unknown[] {
  if (!Array.isArray(row) || row.length !== 4 || !Array.isArray(row[3])) {
    throw new SyntaxError(
      `scaleConfig: ${where}: expected a [from, repeats, module, [args]] row, got ${JSON.stringify(row)}`,
    );
  }
  const [from, n, mod, args] = row as [unknown, unknown, string, unknown[]];
  const name = String(mod).replace(/^(torch\.)?nn\./, "");
  if (NO_CHANNELS.has(name)) return [from, n, mod, [...args]];
  const rule = RULES[name];
  if (!rule) {
    throw new SyntaxError(
      `scaleConfig: ${where}: no scaling rule for module "${mod}" (expected one of ${
        [...Object.keys(RULES), ...NO_CHANNELS].join(", ")
      })`,
    );
  }
  const out = [...args];
  const num = (v: unknown, what: string): number => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      throw new SyntaxError(
        `scaleConfig: ${where} ${mod}: ${what} must be a positive integer, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  };
  for (const i of rule.channels) {
    if (rule.list) {
      const list = out[i];
      if (!Array.isArray(list)) {
        throw new SyntaxError(
          `scaleConfig: ${where} ${mod}: expected a channel list, got ${JSON.stringify(list)}`,
        );
      }
      out[i] = list.map((c, k) => scaleChannels(num(c, `channel group ${k}`), o.width, o.divisor));
    } else if (i < out.length) {
      out[i] = scaleChannels(num(out[i], `argument ${i}`), o.width, o.divisor);
    }
  }
  if (rule.depth !== undefined && o.depth !== 1 && rule.depth < out.length) {
    out[rule.depth] = Math.max(1, Math.round(num(out[rule.depth], "D_CSP") * o.depth));
  }
  return [from, n, mod, out];
}

/**
 * Scale an official-format model mapping (`nc`, `depth_multiple`, `width_multiple`, `backbone`, `head`)
 * by {@link ScaleOptions}; returns a new mapping with explicit channels and multiples 1.0. Throws on a
 * mapping that is already scaled by its multiples, or on a module without a known rule.
 *
 * @example
 * ```ts
 * const small = scaleConfig(configToDict(await loadModelConfig("gelan-c")), { width: 0.125 });
 * ```
 */
export function scaleConfig(cfg: Record<string, unknown>, opts: ScaleOptions): Record<string, unknown> {
  const o: Required<ScaleOptions> = { depth: 1, divisor: 8, ...opts };
  if (!(o.width > 0) || !(o.depth > 0) || !(Number.isInteger(o.divisor) && o.divisor >= 1)) {
    throw new RangeError(
      `scaleConfig: expected width > 0, depth > 0, integer divisor >= 1, got ${JSON.stringify(opts)}`,
    );
  }
  for (const k of ["width_multiple", "depth_multiple"]) {
    const v = cfg[k] ?? 1;
    if (v !== 1) {
      throw new RangeError(
        `scaleConfig: expected an unscaled config (${k} 1.0), got ${k} ${JSON.stringify(v)}`,
      );
    }
  }
  const out: Record<string, unknown> = { ...cfg, depth_multiple: 1.0, width_multiple: 1.0 };
  for (const section of ["backbone", "head"]) {
    const rows = cfg[section];
    if (!Array.isArray(rows)) {
      throw new SyntaxError(`scaleConfig: expected a "${section}" list, got ${typeof rows}`);
    }
    out[section] = rows.map((r, i) => scaleRow(r, `${section} row ${i}`, o));
  }
  return out;
}
