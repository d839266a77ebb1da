/**
 * GELAN building blocks (paper Sec. 4.2): RepNCSPELAN4 (with the ablations' block types and
 * depths), ELAN1, RepNCSP, residual units, AConv/ADown and SPPELAN.
 * @module
 */
export * from "./bottlenecks.ts";
export * from "./rep_ncsp.ts";
export * from "./rep_ncsp_elan4.ts";
export * from "./elan1.ts";
export * from "./downsample.ts";
export * from "./sppelan.ts";
export * from "./yolov7_blocks.ts";
