/**
 * Tables and figure contents of the information-bottleneck study: the CSV of per (family, depth)
 * rows, a JSON-ready copy of the whole result, the Fig. 2 / Fig. 6 grid (architectures x depths with
 * the input) as images, one line chart per measure against depth, and the information-depth table
 * and curves (with their 95 % intervals and thresholds). Pure: encoding and writing
 * files is left to the caller (lib/viz/raster_io.ts, cli/ib.ts).
 * @module
 */
import type { RgbImage } from "../data/image.ts";
import { heatmapImage, type Normalize, upscaleNearest } from "../viz/heatmap.ts";
import { errorBarPlotSvg } from "../viz/measure_plot.ts";
import type { ImageGrid } from "../viz/image_grid.ts";
import type { IbResult, IbRow, Spread } from "./analysis.ts";
import { FAMILIES, type Family, FAMILY_NAMES } from "./families.ts";
import { DEPTH_MEASURES, type FamilyDepth } from "./depth_study.ts";
import { crossedMeanInterval, crossedResamples } from "../stats/bootstrap.ts";
import { PALETTE } from "../viz/plots.ts";

/** Column names of {@link rowsToCsv}. */
export const CSV_COLUMNS: readonly string[] = [
  "family", "depth", "layers", "paths_count", "paths_shortest", "paths_longest", "paths_mean",
  "r2_mean", "r2_std", "psnr_mean", "psnr_std", "mi_ksg_mean", "mi_ksg_std", "mi_gauss_mean", "mi_gauss_std",
  "grad_cosine_mean", "grad_cosine_std", "grad_snr_mean", "grad_snr_std", "grad_align_mean", "grad_align_std", "n",
];

const num = (v: number) => (Number.isFinite(v) ? String(+v.toPrecision(6)) : "");

/** One line per (family, depth): gradient paths and each measure's mean and standard deviation. */
export function rowsToCsv(rows: IbRow[]): string {
  const sp = (s: Spread) => [num(s.mean), num(s.std)];
  const lines = rows.map((r) =>
    [
      r.name, r.depth, r.layers, num(r.paths.count), num(r.paths.shortest), num(r.paths.longest), num(r.paths.mean),
      ...sp(r.r2), ...sp(r.psnr), ...sp(r.miKsg), ...sp(r.miGauss), ...sp(r.gradCosine), ...sp(r.gradSnr), ...sp(r.gradAlign), r.r2.n,
    ].join(",")
  );
  return [CSV_COLUMNS.join(","), ...lines].join("\n") + "\n";
}

/** The result as plain JSON data (typed arrays as lists, non-finite numbers as null). */
export function resultToJson(result: IbResult): string {
  return JSON.stringify(result, (_k, v) => {
    if (v instanceof Float32Array || v instanceof Float64Array) return Array.from(v, (x) => +x.toPrecision(6));
    if (typeof v === "number" && !Number.isFinite(v)) return null;
    return v;
  });
}

/**
 * Fig. 2 / Fig. 6 as images: one row per family, the input in the first column (first row only),
 * then the channel-summed map at each depth, normalised per map (`norm`, default min-max as imshow)
 * and coloured with viridis, enlarged to at least `tile` pixels.
 */
export function figureGrid(result: IbResult, input: RgbImage, opts: { tile?: number; norm?: Normalize } = {}): ImageGrid {
  const tile = opts.tile ?? 128;
  const families = [...new Set(result.maps.map((m) => m.family))];
  const depths = [...new Set(result.maps.map((m) => m.depth))];
  const images = families.map((f, r) => [
    r === 0 ? input : null,
    ...depths.map((d) => {
      const m = result.maps.find((q) => q.family === f && q.depth === d);
      if (!m) return null;
      return upscaleNearest(heatmapImage(m.map, opts.norm), Math.max(1, Math.ceil(tile / m.map.width)));
    }),
  ]);
  const colLabels = ["input", ...depths.map((d) => `${d} layer${d === 1 ? "" : "s"}`)];
  return { images, rowLabels: families.map((f) => FAMILY_NAMES[f]), colLabels };
}

/** The measures plotted by {@link measurePlots}: key, title, axis label, how to read a row. */
export const PLOTTED: readonly { key: string; title: string; label: string; get: (r: IbRow) => [number, number] }[] = [
  { key: "r2", title: "Reversibility: ridge decoder R² (held-out)", label: "R²", get: (r) => [r.r2.mean, r.r2.std] },
  { key: "psnr", title: "Reversibility: PSNR of the reconstruction", label: "PSNR (dB)", get: (r) => [r.psnr.mean, r.psnr.std] },
  { key: "mi_ksg", title: "I(patch; features), KSG k=3", label: "nats", get: (r) => [r.miKsg.mean, r.miKsg.std] },
  { key: "mi_gauss", title: "I(patch; features), Gaussian", label: "nats", get: (r) => [r.miGauss.mean, r.miGauss.std] },
  { key: "grad_cosine", title: "Gradient consistency across seeds", label: "mean pairwise cosine", get: (r) => [r.gradCosine.mean, r.gradCosine.std] },
  { key: "grad_align", title: "Gradient alignment with the target", label: "cosine", get: (r) => [r.gradAlign.mean, r.gradAlign.std] },
  { key: "paths_shortest", title: "Shortest gradient path to the input", label: "conv layers", get: (r) => [r.paths.shortest, 0] },
  { key: "paths_count", title: "Gradient paths to the input (log10)", label: "log10 paths", get: (r) => [Math.log10(r.paths.count), 0] },
];

/** One SVG line chart per measure against depth (actual layer counts), one line per family. */
export function measurePlots(result: IbResult): { key: string; svg: string }[] {
  const families = [...new Set(result.rows.map((r) => r.family))];
  return PLOTTED.map((m) => ({
    key: m.key,
    svg: errorBarPlotSvg({
      title: m.title,
      xLabel: "depth (conv layers)",
      yLabel: m.label,
      series: families.map((f) => {
        const rows = result.rows.filter((r) => r.family === f);
        return { name: FAMILY_NAMES[f], color: PALETTE[FAMILIES.indexOf(f) % PALETTE.length], x: rows.map((r) => r.layers), y: rows.map((r) => m.get(r)[0]), err: rows.map((r) => m.get(r)[1]) };
      }),
    }),
  }));
}

/** Columns of {@link depthCsv}. */
export const DEPTH_CSV_COLUMNS: readonly string[] = ["family", "measure", "threshold", "depth", "censored", "lo", "hi", "lo_censored", "hi_censored"];

/** One line per (family, measure, threshold): the information depth and its 95 % interval. */
export function depthCsv(depths: FamilyDepth[]): string {
  const lines = depths.flatMap((f) =>
    f.depths.map((d) => [f.name, f.measure, num(d.threshold), num(d.depth), d.censored ?? "", num(d.lo), num(d.hi), d.loCensored ?? "", d.hiCensored ?? ""].join(","))
  );
  return [DEPTH_CSV_COLUMNS.join(","), ...lines].join("\n") + "\n";
}

/**
 * Per measure, the mean curve on the depth grid of every family with its 95 % interval (crossed
 * bootstrap; drawn as the larger half-width) and the two thresholds, against conv layers (`x`
 * "layers") or against the shortest gradient path back to the image (`x` "shortest").
 */
export function depthPlots(result: IbResult, x: "layers" | "shortest" = "layers", replicates = 500): { key: string; svg: string }[] {
  const curves = result.curves;
  if (!curves.length) return [];
  const resamples = crossedResamples(curves[0].r2.length, curves[0].r2[0]?.length ?? 1, { replicates });
  return DEPTH_MEASURES.map((m) => {
    const series = curves.map((c) => {
      const iv = c.layers.map((_, k) => crossedMeanInterval(c[m.key].map((row) => row.map((v) => v[k])), resamples));
      const color = PALETTE[Math.max(0, FAMILIES.indexOf(c.family as Family)) % PALETTE.length];
      return { name: c.name, color, x: c[x], y: iv.map((i) => i.value), err: iv.map((i) => Math.max(i.hi - i.value, i.value - i.lo)) };
    });
    const xs = series.flatMap((s) => s.x);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    const lines = m.thresholds.map((t, i) => ({ name: `threshold ${+t.toFixed(2)}`, color: i ? "#999999" : "#555555", x: [x0, x1], y: [t, t] }));
    return {
      key: `${m.key}${x === "shortest" ? "_by_shortest" : ""}`,
      svg: errorBarPlotSvg({
        title: `${m.title}${x === "shortest" ? " by shortest path" : ""} (mean, 95% interval)`,
        xLabel: x === "layers" ? "depth (conv layers)" : "shortest gradient path to the image (conv layers)",
        yLabel: m.unit,
        series: [...series, ...lines],
      }),
    };
  });
}
