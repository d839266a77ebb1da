/**
 * Model configurations as data: YAML files in the official row format (`nc`, `depth_multiple`,
 * `width_multiple`, optional `activation`, and `backbone` / `head` lists of
 * `[from, repeats, module, args]`), as in models/detect/*.yaml of the official repository.
 * @module
 */
import { parse } from "yaml";

/** One `[from, repeats, module, args]` row, with where it came from. */
export interface ConfigRow {
  from: number | number[];
  n: number;
  module: string;
  args: unknown[];
  /** Layer index (rows of backbone then head, counted from 0). */
  layer: number;
  /** "backbone" or "head" and the row's index inside that list, for messages. */
  where: string;
}

/** A parsed model configuration. */
export interface ModelConfig {
  name: string;
  source: string;
  nc: number;
  depth_multiple: number;
  width_multiple: number;
  /** Activation override, e.g. `nn.ReLU()` (gelan.yaml, yolov9.yaml); SiLU when absent. */
  activation?: string;
  rows: ConfigRow[];
  /** The YAML mapping as read (kept to store the configuration with weights). */
  raw: Record<string, unknown>;
}

function fail(source: string, where: string, msg: string): never {
  throw new SyntaxError(`Invalid model config ${source}${where ? `, ${where}` : ""}: ${msg}`);
}

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

/** Parse and validate a model YAML text (or an already parsed mapping). `source` names it in errors. */
export function parseModelConfig(text: string | Record<string, unknown>, source: string): ModelConfig {
  let raw: unknown;
  try {
    raw = typeof text === "string" ? parse(text) : text;
  } catch (e) {
    fail(source, "", `not valid YAML (${(e as Error).message.split("\n")[0]})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(source, "", "expected a mapping at the top level");
  const m = raw as Record<string, unknown>;
  const num = (key: string, dflt?: number): number => {
    const v = m[key] ?? dflt;
    if (typeof v !== "number" || !(v > 0)) fail(source, key, `expected a positive number, got ${JSON.stringify(v)}`);
    return v;
  };
  const rows: ConfigRow[] = [];
  for (const section of ["backbone", "head"]) {
    const list = m[section];
    if (!Array.isArray(list)) fail(source, section, `expected a list of [from, repeats, module, args] rows, got ${typeof list}`);
    list.forEach((r: unknown, i: number) => {
      const where = `${section} row ${i} (layer ${rows.length})`;
      if (!Array.isArray(r) || r.length !== 4) {
        fail(source, where, `expected [from, repeats, module, args] (4 fields), got ${JSON.stringify(r)}`);
      }
      const [from, n, module, args] = r;
      const froms = Array.isArray(from) ? from : [from];
      if (!froms.length || !froms.every(isInt)) fail(source, where, `bad 'from' ${JSON.stringify(from)}: expected an integer or a list of integers`);
      for (const f of froms) {
        const abs = f < 0 ? rows.length + f : f;
        const ok = rows.length === 0 ? f === -1 : abs >= 0 && abs < rows.length;
        if (!ok) {
          const want = rows.length === 0 ? "-1 (the image) for the first layer" : `an earlier layer (0..${rows.length - 1})`;
          fail(source, where, `bad 'from' ${f}: refers to layer ${abs}, expected ${want}`);
        }
      }
      if (!isInt(n) || n < 1) fail(source, where, `bad repeats ${JSON.stringify(n)}: expected a positive integer`);
      if (typeof module !== "string") fail(source, where, `bad module ${JSON.stringify(module)}: expected a name`);
      if (!Array.isArray(args)) fail(source, where, `bad args ${JSON.stringify(args)}: expected a list`);
      rows.push({ from, n, module, args, layer: rows.length, where: `${where} ${module}` });
    });
  }
  const name = source.replace(/^.*\//, "").replace(/\.(ya?ml|pt|safetensors)( .*)?$/, "");
  return {
    name,
    source,
    nc: num("nc"),
    depth_multiple: num("depth_multiple", 1),
    width_multiple: num("width_multiple", 1),
    ...(typeof m.activation === "string" ? { activation: m.activation } : {}),
    rows,
    raw: m,
  };
}

/** Report a problem with a configuration row (used while resolving modules). */
export function rowError(cfg: ModelConfig, row: ConfigRow, msg: string): never {
  fail(cfg.source, row.where, msg);
}

/**
 * The official YAML mapping of a configuration (rows as `[from, n, module, args]`), e.g. to store it
 * with weights (`model_yaml` metadata, as JSON) the way official checkpoints keep `model.yaml`.
 */
export function configToDict(cfg: ModelConfig): Record<string, unknown> {
  const nBackbone = Array.isArray(cfg.raw.backbone) ? Math.min(cfg.raw.backbone.length, cfg.rows.length) : cfg.rows.length;
  const row = (r: ConfigRow) => [r.from, r.n, r.module, r.args];
  return {
    nc: cfg.nc,
    depth_multiple: cfg.depth_multiple,
    width_multiple: cfg.width_multiple,
    ...(cfg.activation ? { activation: cfg.activation } : {}),
    backbone: cfg.rows.slice(0, nBackbone).map(row),
    head: cfg.rows.slice(nBackbone).map(row),
  };
}

/**
 * A configuration as YAML text in the official layout (scalars including `anchors`, then `backbone:` and `head:`
 * with one flow-style `[from, n, module, args]` row per line), readable by `yaml.safe_load` (and the official
 * `Model(cfg)`) and by {@link parseModelConfig}.
 */
export function configToYaml(cfg: ModelConfig): string {
  const lines: string[] = [];
  // The official `parse_model` reads `anchors` (unused by the anchor-free heads): keep the config's, else 3.
  const { backbone, head, ...scalars } = configToDict(cfg);
  const dict = { ...scalars, anchors: cfg.raw.anchors ?? 3, backbone, head };
  for (const [k, v] of Object.entries(dict)) {
    const rows = v as unknown[];
    if ((k === "backbone" || k === "head") && rows.length) lines.push(`${k}:`, ...rows.map((r) => `  - ${JSON.stringify(r)}`));
    else lines.push(`${k}: ${JSON.stringify(v)}`); // an empty row list is `[]`
  }
  return lines.join("\n") + "\n";
}
