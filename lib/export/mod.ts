/**
 * Models leave the project: ONNX (opset 17, End2End NMS, dynamic axes), PyTorch `.pt` checkpoints of official
 * state_dicts that `torch.load(weights_only=True)` accepts, and safetensors. Pure functions from a model to
 * bytes; `cli/export.ts` (`deno task export`) does the file I/O.
 *
 * @example
 * ```ts
 * import { exportModel } from "./mod.ts";
 * const { bytes } = exportModel({ spec, weights, fused: false }, { format: "onnx", img: [640, 640], dynamic: true });
 * ```
 * @module
 */
export * from "./export.ts";
export * from "./inference.ts";
export * from "./onnx_model.ts";
export * from "./onnx_graph.ts";
export * from "./onnx_ops.ts";
export * from "./onnx_head.ts";
export * from "./onnx_nms.ts";
export * from "./torch_pt.ts";
export * from "./pickle_writer.ts";
export * from "./zip_writer.ts";
