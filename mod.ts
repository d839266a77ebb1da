/**
 * yolov9-ts: YOLOv9 (GELAN + PGI) on TensorFlow.js for Deno, numerically equal to the official
 * PyTorch implementation.
 *
 * @example
 * ```ts
 * import { buildModelSpec, initBackend, loadModelConfig, summarizeModel } from "./mod.ts";
 * await initBackend("cpu", { quiet: true });
 * const spec = buildModelSpec(await loadModelConfig("gelan-c"));
 * console.log(summarizeModel(spec).params); // 25498752
 * ```
 * @module
 */
export * from "./lib/backend/backend.ts";
export * from "./lib/nn/mod.ts";
export * from "./lib/gelan/mod.ts";
export * from "./lib/pgi/mod.ts";
export * from "./lib/head/mod.ts";
export * from "./lib/models/mod.ts";
export * from "./lib/loss/mod.ts";
export * from "./lib/eval/mod.ts";
export * from "./lib/io/mod.ts";
export * from "./lib/data/mod.ts";
export * from "./lib/viz/mod.ts";
export * from "./lib/ib/mod.ts";
export * from "./lib/train/mod.ts";
export { CASE_HANDLERS, listCases, runCase } from "./lib/golden/runner.ts";
export type { CaseReport, TensorCheck } from "./lib/golden/types.ts";
