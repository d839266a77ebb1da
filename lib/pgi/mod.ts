/**
 * Programmable Gradient Information (paper Sec. 4.1): the CBLinear/CBFuse routing of the auxiliary
 * reversible branch, and its removal for inference.
 * @module
 */
export * from "./cb_linear.ts";
export * from "./strip_aux.ts";
