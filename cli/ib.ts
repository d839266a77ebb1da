/**
 * `deno task ib [--depths 50,100,150,200] [--image data/images/chelsea.png] [--out runs/ib] ...`: the
 * information-bottleneck study of paper Sec. 3 (Fig. 2 / Fig. 6). The figure uses `--image`; the measures
 * use it and the `--images` (default the study's other public-domain / CC0 photos; `--images ""` for
 * none), `--count` study images in all (default 3; more than the photos: crops of them, lib/ib/images.ts). The
 * information-depth curves are measured on `--grid` (default a ~20 % geometric grid up to the deepest
 * depth). Writes to `--out`: `fig2_feature_maps.png` (architectures x depths with the input),
 * `measure_<key>.png` (each measure against depth per architecture), `depth_<measure>.png` and
 * `depth_<measure>_by_shortest.png` (the curves with 95 % intervals and thresholds), `ib.csv` and
 * `ib.json` (every number; `information_depth` per family and measure), `information_depth.csv`, and
 * `gradient_paths.csv` / `gradient_paths_summary.csv` (per block and per model config of `--configs`).
 * @module
 */
import { parseArgs } from "node:util";
import { runMain, setupBackend } from "./_common.ts";
import { buildModelSpec } from "../lib/models/build.ts";
import { loadModelConfig } from "../lib/models/shipped.ts";
import { FAMILIES, type Family } from "../lib/ib/families.ts";
import { runIbAnalysis } from "../lib/ib/analysis.ts";
import { depthCsv, depthPlots, figureGrid, measurePlots, resultToJson, rowsToCsv } from "../lib/ib/report.ts";
import { loadStudyImages, STUDY_PHOTOS } from "../lib/ib/images.ts";
import { formatDepth } from "../lib/ib/depth_study.ts";
import { writeAtomic } from "../lib/io/atomic.ts";
import { buildConvGraph } from "../lib/ib/conv_graph.ts";
import { gradientPathTable, summarizePaths } from "../lib/ib/gradient_paths.ts";
import type { BnMode } from "../lib/ib/features.ts";
import { renderImageGridPng } from "../lib/viz/image_grid.ts";
import { svgToPng } from "../lib/viz/plots.ts";

const USAGE = "usage: deno task ib [--depths 50,100,150,200] [--image data/images/chelsea.png] [--images a,b,...] [--count N] " +
  "[--grid 1,2,4,...] [--mi-samples 1024] [--replicates 2000] " +
  "[--out runs/ib] [--seeds 3] [--width 32] [--img 128] [--bn batch|running] [--families plain,resnet,cspnet,gelan] " +
  "[--configs gelan-s,yolov9-s,...] [--backend X]";

const ints = (s: string, what: string): number[] => {
  const v = s.split(",").map((x) => Number(x.trim()));
  if (!v.length || v.some((x) => !(Number.isInteger(x) && x > 0))) throw new RangeError(`--${what} must be positive integers separated by commas, got "${s}"`);
  return v;
};


await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      depths: { type: "string", default: "50,100,150,200" },
      image: { type: "string", default: "data/images/chelsea.png" },
      images: { type: "string" },
      count: { type: "string" },
      grid: { type: "string" },
      "mi-samples": { type: "string", default: "1024" },
      replicates: { type: "string", default: "2000" },
      out: { type: "string", default: "runs/ib" },
      seeds: { type: "string", default: "3" },
      width: { type: "string", default: "32" },
      img: { type: "string", default: "128" },
      bn: { type: "string", default: "batch" },
      families: { type: "string", default: FAMILIES.join(",") },
      configs: { type: "string", default: "gelan-t,gelan-s,gelan-m,gelan-c,gelan-e,yolov9-t,yolov9-s,yolov9-m,yolov9-c,yolov9-e" },
      backend: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) return console.log(USAGE);
  const depths = ints(values.depths!, "depths");
  const [seeds] = ints(values.seeds!, "seeds");
  const [width] = ints(values.width!, "width");
  const [img] = ints(values.img!, "img");
  if (!["batch", "running"].includes(values.bn!)) throw new RangeError(`--bn must be batch or running, got "${values.bn}"`);
  const families = values.families!.split(",").map((f) => f.trim()) as Family[];
  const bad = families.filter((f) => !FAMILIES.includes(f));
  if (bad.length) throw new RangeError(`--families: unknown ${bad.join(", ")}; expected some of ${FAMILIES.join(", ")}`);
  await setupBackend(values.backend);

  const extra = values.images !== undefined ? values.images.split(",").map((s) => s.trim()).filter(Boolean) : STUDY_PHOTOS.slice(1);
  const paths = [values.image!, ...extra.filter((p) => p !== values.image)];
  const images = await loadStudyImages(paths, img, values.count ? ints(values.count, "count")[0] : Math.min(3, paths.length));
  const grid = values.grid ? ints(values.grid, "grid") : undefined;
  const [miSamples] = ints(values["mi-samples"]!, "mi-samples");
  const [replicates] = ints(values.replicates!, "replicates");
  console.error(`[ib] ${families.length} families, depths ${depths}, ${seeds} seeds, ${images.length} images (${images.map((i) => i.name)}), ${img}x${img}, BN ${values.bn}`);
  const t0 = performance.now();
  const result = await runIbAnalysis(images, {
    families, depths, seeds, width, bn: values.bn as BnMode, grid, replicates, information: { samples: miSamples },
    onProgress: (done, total, label) => console.error(`[ib] ${done}/${total} ${label} (${((performance.now() - t0) / 1000).toFixed(0)} s)`),
  });

  const out = values.out!.replace(/\/$/, "");
  await Deno.mkdir(out, { recursive: true });
  await writeAtomic(`${out}/ib.csv`, rowsToCsv(result.rows));
  await writeAtomic(`${out}/ib.json`, resultToJson(result));
  await writeAtomic(`${out}/information_depth.csv`, depthCsv(result.information_depth));
  for (const x of ["layers", "shortest"] as const) {
    for (const p of depthPlots(result, x)) await writeAtomic(`${out}/depth_${p.key}.png`, await svgToPng(p.svg));
  }
  const figure = figureGrid(result, images[0].rgb);
  const caption = `Random init (seed ${result.samples[0]?.seed ?? 0}), width ${width}, BN ${values.bn}; each map = output summed over channels (issue #223), min-max normalised, viridis.`;
  await writeAtomic(`${out}/fig2_feature_maps.png`, await renderImageGridPng(figure, { title: "Feature maps of randomly initialised networks (paper Fig. 2 / 6)", caption }));
  for (const p of measurePlots(result)) await writeAtomic(`${out}/measure_${p.key}.png`, await svgToPng(p.svg));

  const lines = ["config,layer,module,convs,layers,internal_count,internal_shortest,internal_longest,to_head_count,to_head_shortest,to_head_longest,to_head_mean"];
  const summary = ["config,form,conv_layers,head_to_image_count,head_to_image_shortest,head_to_image_longest,head_to_image_mean,mean_shortest,mean_longest,mean_mean"];
  for (const name of values.configs!.split(",").map((s) => s.trim()).filter(Boolean)) {
    const spec = buildModelSpec(await loadModelConfig(name));
    for (const form of ["train", "fused"] as const) {
      const g = buildConvGraph(spec, { form });
      const s = summarizePaths(g);
      summary.push([name, form, s.convLayers, s.headToImage.count, s.headToImage.shortest, s.headToImage.longest, s.headToImage.mean.toFixed(2), s.meanShortest.toFixed(2), s.meanLongest.toFixed(2), s.meanMean.toFixed(2)].join(","));
      if (form === "train") {
        for (const r of gradientPathTable(g)) {
          lines.push([name, r.i, r.module, r.convs, r.layers, r.internal.count, r.internal.shortest, r.internal.longest, r.toHead.count, r.toHead.shortest, r.toHead.longest, r.toHead.mean.toFixed(2)].join(","));
        }
      }
    }
  }
  await writeAtomic(`${out}/gradient_paths.csv`, lines.join("\n") + "\n");
  await writeAtomic(`${out}/gradient_paths_summary.csv`, summary.join("\n") + "\n");

  console.log(`${"family".padEnd(9)} ${"depth".padStart(5)} ${"layers".padStart(6)} ${"shortest".padStart(8)} ${"R2".padStart(13)} ${"KSG nats".padStart(13)} ${"grad cos".padStart(13)}`);
  const pm = (m: number, s: number) => `${m.toFixed(3)}±${s.toFixed(3)}`.padStart(13);
  for (const r of result.rows) {
    console.log(`${r.name.padEnd(9)} ${String(r.depth).padStart(5)} ${String(r.layers).padStart(6)} ${String(r.paths.shortest).padStart(8)} ${pm(r.r2.mean, r.r2.std)} ${pm(r.miKsg.mean, r.miKsg.std)} ${pm(r.gradCosine.mean, r.gradCosine.std)}`);
  }
  console.log("\ninformation depth (conv layers where the measure falls below each threshold) [95% interval]:");
  for (const d of result.information_depth) console.log(`${d.name.padEnd(9)} ${d.measure.padEnd(5)} ${d.depths.map(formatDepth).join("   ")}`);
  for (const o of result.depthStudy.orderings) console.log(o.line);
  for (const f of result.depthStudy.floors) if (f.measure === "r2") console.log(`r2 ${f.line}`);
  console.log(`wrote ${out}/{fig2_feature_maps.png, measure_*.png, depth_*.png, ib.csv, ib.json, information_depth.csv, gradient_paths.csv, gradient_paths_summary.csv} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
});
