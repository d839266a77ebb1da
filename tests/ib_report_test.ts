import * as tf from "@tensorflow/tfjs";
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { runIbAnalysis } from "../lib/ib/analysis.ts";
import { summarize } from "../lib/stats/stats.ts";
import { CSV_COLUMNS, DEPTH_CSV_COLUMNS, depthCsv, depthPlots, figureGrid, measurePlots, PLOTTED, resultToJson, rowsToCsv } from "../lib/ib/report.ts";
import { centreSquare } from "../lib/ib/images.ts";
import { heatmapImage, upscaleNearest, viridis } from "../lib/viz/heatmap.ts";
import { base64, imageGridSvg } from "../lib/viz/image_grid.ts";
import { errorBarPlotSvg } from "../lib/viz/measure_plot.ts";

await initBackend(undefined, { quiet: true });

Deno.test("heatmap: min-max normalisation onto viridis, and nearest upscaling", () => {
  deepEqual(viridis(0), [68, 1, 84]);
  deepEqual(viridis(1), [253, 231, 37]);
  const img = heatmapImage({ width: 3, height: 1, data: [-2, 0, 2] });
  deepEqual([...img.pixels.subarray(0, 3)], [68, 1, 84]);
  deepEqual([...img.pixels.subarray(6, 9)], [253, 231, 37]);
  deepEqual([...img.pixels.subarray(3, 6)], viridis(0.5));
  // A constant map is drawn mid-scale rather than dividing by zero.
  deepEqual([...heatmapImage({ width: 1, height: 1, data: [7] }).pixels], viridis(0.5));
  const up = upscaleNearest(img, 2);
  equal(up.width, 6);
  deepEqual([...up.pixels.subarray(0, 3)], [...up.pixels.subarray(18 + 0, 18 + 3)]);
  throws(() => heatmapImage({ width: 2, height: 2, data: [1] }), /from 1 values/);
});

Deno.test("image grid and error-bar plot SVGs carry their labels and data", () => {
  equal(base64(new Uint8Array([77, 97, 110])), "TWFu");
  const svg = imageGridSvg({ cells: [[new Uint8Array([1, 2, 3]), null]], rowLabels: ["GELAN"], colLabels: ["input", "50 & more"], title: "t" });
  ok(svg.includes(">GELAN<") && svg.includes("50 &amp; more") && svg.includes("data:image/png;base64,AQID"));
  throws(() => imageGridSvg({ cells: [[null]], rowLabels: [], colLabels: ["a"] }), /with 0 row and 1 column labels/);
  const plot = errorBarPlotSvg({ title: "R²", xLabel: "depth", yLabel: "R²", series: [{ name: "ResNet", x: [1, 2], y: [0.9, 0.5], err: [0.1, 0.2] }] });
  ok(plot.includes("<polyline") && plot.includes(">ResNet<") && (plot.match(/<circle/g) ?? []).length === 2);
  const square = centreSquare({ width: 3, height: 1, pixels: Uint8Array.from([1, 1, 1, 2, 2, 2, 3, 3, 3]) });
  deepEqual([...square.pixels], [2, 2, 2]);
});

Deno.test("runIbAnalysis end to end on a tiny setting: rows, spreads, maps, CSV and JSON", async () => {
  const size = 32;
  const data = new Float32Array(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = (Math.sin(i * 0.37) + 1) / 2 * 0.8 + ((i * 7919) % 13) / 65;
  const image = { height: size, width: size, data };
  const progress: string[] = [];
  const before = tf.memory().numTensors;
  const r = await runIbAnalysis([{ name: "synthetic", image }], {
    families: ["plain", "resnet"], depths: [1, 6], seeds: 2, width: 8, grid: [2, 4, 6], replicates: 100,
    reversibility: { block: 4 }, information: { samples: 128 },
    onProgress: (done, total, label) => progress.push(`${done}/${total} ${label}`),
  });
  equal(tf.memory().numTensors, before, "runIbAnalysis leaves no tensors behind");
  deepEqual(progress, ["1/4 PlainNet seed 0 synthetic", "2/4 PlainNet seed 1 synthetic", "3/4 ResNet seed 0 synthetic", "4/4 ResNet seed 1 synthetic"]);
  equal(r.rows.length, 4);
  equal(r.samples.length, 8);
  equal(r.maps.length, 4);
  const [plain1, plain6, res1, res6] = r.rows;
  deepEqual([plain1.layers, plain6.layers, res1.layers, res6.layers], [1, 6, 1, 7]);
  // The same stem (same seed) at depth 1 in both families gives identical measures.
  equal(plain1.r2.mean, res1.r2.mean);
  ok(plain1.r2.mean > 0.9, `stem R² ${plain1.r2.mean}`);
  equal(plain6.paths.count, 1);
  equal(res6.paths.shortest, 1);
  for (const row of r.rows) equal(row.r2.n, 2);
  const csv = rowsToCsv(r.rows).trim().split("\n");
  equal(csv[0], CSV_COLUMNS.join(","));
  equal(csv.length, 5);
  equal(csv[1].split(",").length, CSV_COLUMNS.length);
  const json = JSON.parse(resultToJson(r));
  equal(json.maps[0].map.data.length, 16 * 16);
  const grid = figureGrid(r, { width: size, height: size, pixels: new Uint8Array(size * size * 3) }, { tile: 64 });
  deepEqual(grid.colLabels, ["input", "1 layer", "6 layers"]);
  deepEqual(grid.rowLabels, ["PlainNet", "ResNet"]);
  equal(grid.images[1][0], null);
  equal(grid.images[0][1]?.width, 64);
  equal(measurePlots(r).length, PLOTTED.length);
  // Curves on the grid (the stem added): PlainNet at every layer, ResNet at its block boundaries.
  deepEqual(r.curves.map((c) => c.layers), [[1, 2, 4, 6], [1, 4, 7]]);
  deepEqual(r.curves.map((c) => c.shortest), [[1, 2, 4, 6], [1, 1, 1]]);
  for (const c of r.curves) {
    deepEqual([c.r2.length, c.r2[0].length, c.r2[0][0].length], [2, 1, c.layers.length]);
    deepEqual(c.mi.map((s) => s[0][0]), [1, 1], "MI is a fraction of the stem's");
  }
  // The grid's stem equals the row at depth 1; PSNR gain and R² agree in sign.
  equal(summarize(r.curves[0].r2.map((s) => s[0][0])).mean, plain1.r2.mean);
  ok(r.curves.every((c) => c.psnr.flat(2).every((g, k) => Math.sign(g) === Math.sign(c.r2.flat(2)[k]))));
  deepEqual(r.information_depth.map((d) => `${d.name} ${d.measure} ${d.depths.length}`), [
    "PlainNet r2 2", "ResNet r2 2", "PlainNet psnr 2", "ResNet psnr 2", "PlainNet mi 2", "ResNet mi 2",
  ]);
  equal(r.depthStudy.orderings.length, 6);
  equal(r.depthStudy.floors.length, 3 * 2);
  equal(json.information_depth.length, 6);
  const dcsv = depthCsv(r.information_depth).trim().split("\n");
  deepEqual([dcsv[0], dcsv.length], [DEPTH_CSV_COLUMNS.join(","), 13]);
  deepEqual(depthPlots(r).map((p) => p.key), ["r2", "psnr", "mi"]);
  ok(depthPlots(r, "shortest")[0].svg.includes(">threshold 0.5<"));
  deepEqual(summarize([1, 2, 3, NaN]), { mean: 2, std: 1, n: 3 });
});
