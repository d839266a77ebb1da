/**
 * Visualisation: boxes and labels drawn into RGB buffers with a built-in 5 x 7 font, image grids, PNG
 * output through sharp.
 * @module
 */
export * from "./font5x7.ts";
export * from "./draw.ts";
export * from "./png.ts";
