/**
 * Visualisation: boxes and labels drawn into RGB buffers with a built-in 5 x 7 font, image grids, PNG
 * output through sharp.
 * @module
 */
export * from "./font5x7.ts";
export * from "./draw.ts";
export * from "./png.ts";
export * from "./plots.ts";
export * from "./heatmap.ts";
export * from "./image_grid.ts";
export * from "./measure_plot.ts";
export * from "./draw_detections.ts";
