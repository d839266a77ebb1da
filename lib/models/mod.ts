/**
 * The YOLOv9 model family: the module table (GELAN blocks, heads, PGI's rows), the shipped
 * configurations, `buildModelSpec`, forward / predict and model files (weights with their config).
 * The generic graph machinery is in `lib/graph`.
 * @module
 */
export * from "./modules.ts";
export * from "./build.ts";
export * from "./shipped.ts";
export * from "./model.ts";
export * from "./load.ts";
export * from "./objective.ts";
