/**
 * Neural-network primitives: parameter trees, the operation interface with its tensor and
 * shape-only implementations, `Conv`, `RepConvN` and YOLOv7's `RepConv`.
 * @module
 */
export * from "./tree.ts";
export * from "./ops.ts";
export * from "./tensor_ops.ts";
export * from "./shape_ops.ts";
export * from "./conv.ts";
export * from "./rep_conv_n.ts";
export * from "./rep_conv.ts";
export * from "./gather_rows.ts";
