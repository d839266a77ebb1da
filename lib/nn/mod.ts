/**
 * Neural-network primitives: parameter trees, the operation interface with its tensor and
 * shape-only implementations, `Conv` and `RepConvN`.
 * @module
 */
export * from "./tree.ts";
export * from "./ops.ts";
export * from "./tensor_ops.ts";
export * from "./shape_ops.ts";
export * from "./conv.ts";
export * from "./rep_conv_n.ts";
