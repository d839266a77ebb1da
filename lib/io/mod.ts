/**
 * Framework-free weight I/O: raw tensors, safetensors, and PyTorch checkpoints read safely (a minimal zip reader
 * and a pickle interpreter that builds inert data only; nothing from a file is ever executed).
 *
 * @example Usage
 * ```ts
 * import { loadWeightsFile } from "./mod.ts";
 * const { tensors, yaml } = await loadWeightsFile("yolov9-c.pt"); // or a .safetensors file
 * ```
 * @module
 */
export * from "./atomic.ts";
export * from "./commit.ts";
export * from "./exists.ts";
export * from "./format_g.ts";
export * from "./raw_tensor.ts";
export * from "./safetensors.ts";
export * from "./zip/mod.ts";
export * from "./pickle/mod.ts";
export * from "./torch/mod.ts";
export * from "./weights_file.ts";
