/**
 * `buildModelSpec`: the layer graph of a YOLOv9-family config, resolved with the family's module
 * table (GELAN blocks, heads, PGI's rows).
 * @module
 */
import type { ModelConfig } from "../graph/config.ts";
import { type ModelSpec, parseModel } from "../graph/spec.ts";
import { MODULES } from "./modules.ts";

/**
 * Resolve every row of `cfg` with the family's module table; `nc` overrides the config's.
 *
 * @example
 * ```ts
 * const spec = buildModelSpec(await loadModelConfig("gelan-s"), { nc: 10 });
 * ```
 */
export function buildModelSpec(cfg: ModelConfig, opts: { nc?: number } = {}): ModelSpec {
  return parseModel(cfg, MODULES, opts);
}
