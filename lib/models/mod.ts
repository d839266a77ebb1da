/**
 * Models as data: official-format configs, the resolved layer graph, initialisation, forward,
 * summary (params / GFLOPs), fusing, state_dict conversion and model files.
 * @module
 */
export * from "./config.ts";
export * from "./modules.ts";
export * from "./spec.ts";
export * from "./init.ts";
export * from "./model.ts";
export * from "./summary.ts";
export * from "./fuse.ts";
export * from "./weights.ts";
export * from "./load.ts";
export * from "./objective.ts";
