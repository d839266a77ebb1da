/**
 * The job of paper Fig. 7 in an ablation session (the figure itself is data in `experiments/fig7.ts`):
 * for validation images, the channel-summed maps of the main branch's PAN outputs (the detect head's
 * P3/P4/P5 inputs) of GELAN-C and YOLOv9-C after one epoch are drawn side by side and scored with the
 * focus ratio; the claim that PGI focuses better is read from the paired difference (same image, same
 * seed) with a 95 % interval over seeds and images.
 * @module
 */
import { writeFigurePage } from "./figure_page.ts";
import * as tf from "@tensorflow/tfjs";
import type { FigureContext, FigureOutcome } from "./spec.ts";
import { fixedShare, type FocusMap, focusRatio, pairedFocus, targetBoxes } from "./focus.ts";
import { summarize } from "../stats/stats.ts";
import type { Fig7Settings } from "./presets.ts";
import { writeAtomic } from "../io/atomic.ts";
import { loadModel } from "../models/load.ts";
import { disposeWeights } from "../graph/weights.ts";
import { channelSum, layerOutputs } from "../ib/features.ts";
import { createLoader, loadDataset } from "../data/mod.ts";
import { loadHyp } from "../train/hyp.ts";
import { heatmapImage, upscaleNearest } from "../viz/heatmap.ts";
import { renderImageGridPng } from "../viz/image_grid.ts";
import type { RgbImage } from "../data/image.ts";

async function toRgb(x: tf.Tensor4D, i: number): Promise<RgbImage> {
  const [, h, w] = x.shape;
  const t = tf.tidy(() => x.slice([i, 0, 0, 0], [1, h, w, 3]).mul(255).round().clipByValue(0, 255));
  const px = await t.data();
  t.dispose();
  return { width: w, height: h, pixels: Uint8Array.from(px) };
}

/** BatchNorm for the maps: the model as used (running statistics) and train mode (statistics of the scored batch). */
const MODES = ["running", "batch"] as const;
type Mode = typeof MODES[number];

/** Per BN mode: focus ratios `[level][image]`, the fixed share per level, and the maps of the first `shown` images. */
async function analyse(dir: string, batch: { images: tf.Tensor4D; targets: Float32Array }, shown: number) {
  const m = await loadModel(`${dir}/weights/last.safetensors`);
  try {
    const head = m.spec.layers[m.spec.layers.length - 1];
    const nl = head.from.length / m.spec.branches;
    const pan = head.from.slice(-nl);
    const [n, H, W] = batch.images.shape;
    const out = {} as Record<Mode, { ratios: number[][]; fixed: number[]; maps: RgbImage[][] }>;
    for (const bn of MODES) {
      const outs = layerOutputs(m.spec, m.weights, batch.images, pan, { bn });
      const ratios: number[][] = outs.map(() => []);
      const all: FocusMap[][] = outs.map(() => []);
      const maps: RgbImage[][] = [];
      for (let i = 0; i < n; i++) {
        const boxes = targetBoxes(batch.targets, i, W, H);
        const row: RgbImage[] = [];
        for (const [l, o] of outs.entries()) {
          const [, h, w, c] = o.shape;
          const one = o.slice([i, 0, 0, 0], [1, h, w, c]);
          const map = await channelSum(one);
          one.dispose();
          ratios[l].push(focusRatio(map, boxes, W, H));
          all[l].push(map);
          if (i < shown) row.push(upscaleNearest(heatmapImage(map), Math.max(1, Math.round(H / h))));
        }
        if (i < shown) maps.push(row);
      }
      tf.dispose(outs);
      out[bn] = { ratios, fixed: all.map(fixedShare), maps };
    }
    return out;
  } finally {
    disposeWeights(m.weights);
  }
}

/** Per image, the mean focus ratio over the PAN levels where it is defined. */
function overLevels(ratios: number[][]): number[] {
  return ratios[0].map((_, i) => summarize(ratios.map((r) => r[i])).mean);
}

const LEVELS = ["P3", "P4", "P5"];

/** Score and draw the Fig. 7 maps of a session's one-epoch runs into `ctx.dir`. */
export async function fig7Job(ctx: FigureContext): Promise<FigureOutcome> {
  const fig = (ctx.settings.fig7 ?? { images: 16, seeds: 4 }) as Fig7Settings;
  const seeds = [...new Set(ctx.runs.map((r) => r.seed))].filter((s) =>
    ctx.runs.filter((r) => r.seed === s && r.done).length === 2
  );
  if (!seeds.length) return { status: "failed", line: "no seed has both one-epoch runs finished" };
  const ds = await loadDataset(ctx.data, "val", { cache: "disk" });
  const loader = createLoader(ds, {
    batch: Math.min(fig.images, ds.length),
    img: ctx.img,
    stride: 32,
    augment: false,
    hyp: await loadHyp({}),
    seed: 0,
    epoch: 0,
    shuffle: false,
  });
  const it = loader[Symbol.asyncIterator]();
  const batch = (await it.next()).value!;
  await it.return?.();
  const shown = Math.min(4, batch.images.shape[0]);
  // focus[mode][variant][level][seed][image] (level 0: the mean over P3-P5); fixed[mode][variant] over seeds and levels.
  const focus: Record<Mode, Record<string, number[][][]>> = {
    running: { gelan_c: [], yolov9_c: [] },
    batch: { gelan_c: [], yolov9_c: [] },
  };
  const fixed: Record<Mode, Record<string, number[]>> = {
    running: { gelan_c: [], yolov9_c: [] },
    batch: { gelan_c: [], yolov9_c: [] },
  };
  const grids = {} as Record<Mode, (RgbImage | null)[][]>;
  const nImages = batch.images.shape[0];
  try {
    for (const seed of seeds) {
      const per: Record<string, Awaited<ReturnType<typeof analyse>>> = {};
      for (const v of ["gelan_c", "yolov9_c"]) {
        per[v] = await analyse(ctx.runs.find((q) => q.seed === seed && q.variant === v)!.dir, batch, shown);
        for (const b of MODES) {
          [overLevels(per[v][b].ratios), ...per[v][b].ratios].forEach((row, l) =>
            (focus[b][v][l] ??= []).push(row)
          );
          fixed[b][v].push(...per[v][b].fixed);
        }
      }
      if (seed === seeds[0]) {
        for (const b of MODES) {
          grids[b] = await Promise.all(per.gelan_c[b].maps.map(async (row, i) => [
            await toRgb(batch.images, i), ...row, ...per.yolov9_c[b].maps[i],
          ]));
        }
      }
    }
  } finally {
    batch.images.dispose();
  }
  const iv = (x: { value: number; lo: number; hi: number }) =>
    `${x.value.toFixed(3)} [${x.lo.toFixed(3)}, ${x.hi.toFixed(3)}]`;
  const md: string[] = [];
  const lines: string[] = [];
  for (const b of MODES) {
    const png = await renderImageGridPng({
      images: grids[b],
      rowLabels: grids[b].map((_, i) => `val image ${i}`),
      colLabels: ["input", ...LEVELS.map((l) => `GELAN ${l}`), ...LEVELS.map((l) => `PGI ${l}`)],
    }, {
      title: `PAN feature maps after one epoch (paper Fig. 7), BN ${b}`,
      caption: `seed ${
        seeds[0]
      }; the same images for both models side by side; channel sums, min-max normalised, viridis`,
    });
    const file = b === "running" ? "fig7_pan_maps.png" : `fig7_pan_maps_${b}.png`;
    await writeAtomic(`${ctx.dir}/${file}`, png);
    const cmp = ["all", ...LEVELS].map((_, l) => pairedFocus(focus[b].gelan_c[l], focus[b].yolov9_c[l]));
    const share = Math.max(summarize(fixed[b].gelan_c).mean, summarize(fixed[b].yolov9_c).mean);
    const c = cmp[0];
    const verdict = share > FIXED_LIMIT
      ? `cannot be judged: ${
        (100 * share).toFixed(0)
      } % of the maps' variance is the same map for every image, so the ratio does not read the objects`
      : c.verdict === "higher"
      ? "agrees"
      : c.verdict === "lower"
      ? "contradicts"
      : "not separated (the interval of the difference contains 0)";
    const line = `BN ${b}: focus ratio (mean over P3-P5; 1 = none) GELAN ${iv(c.base)}, GELAN + PGI ${
      iv(c.other)
    }, paired difference ${
      iv(c.diff)
    } over ${c.pairs} (seed, image) pairs — the paper's claim (PGI focuses better) ${verdict}`;
    lines.push(line);
    const perSeed = (v: string, k: number) => summarize(focus[b][v][0][k]).mean.toFixed(3);
    md.push(
      `## BatchNorm ${
        b === "running"
          ? "running statistics (the model as used)"
          : "train mode (statistics of the scored images as one batch)"
      }`,
      "",
      `${line}.`,
      "",
      `Fixed share (variance of the maps that is the same for every image; > ${FIXED_LIMIT}: no verdict): GELAN ${
        summarize(fixed[b].gelan_c).mean.toFixed(2)
      }, GELAN + PGI ${summarize(fixed[b].yolov9_c).mean.toFixed(2)}.`,
      "",
      "| level | GELAN | GELAN + PGI | PGI - GELAN (paired) | verdict |",
      "|---|---|---|---|---|",
      ...cmp.map((x, l) =>
        `| ${["mean P3-P5", ...LEVELS][l]} | ${iv(x.base)} | ${iv(x.other)} | ${iv(x.diff)} | ${x.verdict} |`
      ),
      "",
      "| seed | GELAN | GELAN + PGI |",
      "|---|---|---|",
      ...seeds.map((s, k) => `| ${s} | ${perSeed("gelan_c", k)} | ${perSeed("yolov9_c", k)} |`),
      "",
      `![PAN maps, BN ${b}](${file})`,
      "",
    );
  }
  await writeFigurePage(ctx, "Fig. 7 — PAN feature maps of GELAN and GELAN + PGI after one epoch", [
    `Seeds ${seeds.join(", ")}; ${
      batch.targets.length / 6
    } objects in ${nImages} validation images. Values: mean [95 % interval, crossed bootstrap over seeds and images]; the difference is taken per (seed, image) pair.`,
    "",
    ...md,
  ]);
  return { status: "done", line: `${lines.join("; ")}.`, link: "results.md" };
}

/** Above this fixed share the maps do not depend on the image enough for a focus verdict. */
const FIXED_LIMIT = 0.9;

/** The session's seeds, extended by the following ones up to `fig7.seeds`. */
export function fig7Seeds(preset: Record<string, unknown>, session: readonly number[]): number[] {
  const n = (preset.fig7 as Fig7Settings | undefined)?.seeds ?? session.length;
  const next = Math.max(-1, ...session) + 1;
  return [...session, ...Array.from({ length: Math.max(0, n - session.length) }, (_, k) => next + k)];
}
