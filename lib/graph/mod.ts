/**
 * The model graph as data (`parse_model` of models/yolo.py, independent of any one module table):
 * official-format configs and their row edits, resolving rows into a layer graph with a module table,
 * parameter shapes, initialisation, summary (params / GFLOPs), fusing, width/depth scaling and
 * state_dict conversion.
 * @module
 */
export * from "./config.ts";
export * from "./config_rows.ts";
export * from "./module_def.ts";
export * from "./spec.ts";
export * from "./init.ts";
export * from "./summary.ts";
export * from "./fuse.ts";
export * from "./scale.ts";
export * from "./weights.ts";
