/**
 * GPU-hours of an ablation plan at the paper's scale (`deno task ablate --preset paper --plan`). A run
 * costs `k x GFLOPs x images x epochs` GPU-seconds, GFLOPs being the forward cost per image of its
 * training graph at its size (auxiliary PGI branch included), and `k` (GPU-seconds per GFLOP of one
 * training image) comes from one of two bases, named in the output:
 * - measured: `deno task bench train --json` run on the webgpu backend (median step seconds / batch /
 *   the benched model's GFLOPs, averaged over its rows; training steps only, no validation);
 * - documented: the official training time of the 500-epoch COCO recipe given by the paper's first
 *   author (WongKinYiu/yolov9 issue #4, 2024-02-22): "Compact models, 3090*8, about 2.5 days"; compact
 *   are YOLOv9-M and -C, taken here as YOLOv9-C (validation included). Hours are then RTX 3090 hours.
 *   The same author gives "Small models, 2080ti*8, about 2 days": small models use a GPU less well per
 *   FLOP, so the FLOP rule underestimates them.
 * @module
 */
import type { Job } from "./plan.ts";
import { buildConfig, specOf } from "./variants.ts";
import { summarizeModel } from "../graph/summary.ts";

/** The documented figure (see the module doc). */
export const DOCUMENTED_RUN = {
  source: "WongKinYiu/yolov9 issue #4 (the first author): compact models, 8 x RTX 3090, about 2.5 days",
  model: "yolov9-c",
  gpu: "RTX 3090",
  gpuHours: 8 * 2.5 * 24,
  epochs: 500,
  trainImages: 118287,
  img: 640,
} as const;

/** Where `k` comes from. */
export interface GpuCostBasis {
  kind: "measured" | "documented";
  /** One line naming the source, for the output. */
  label: string;
  /** GPU-seconds per GFLOP of one training image (forward GFLOPs of the training graph). */
  secondsPerGflop: number;
}

/** One row of `deno task bench train --json`. */
export interface StepTimeRow {
  model: string;
  img: number;
  batch: number;
  median_s: number;
  mode?: string;
}

/** Forward GFLOPs per image of a model's training graph at `img` (nc 80 unless given). */
export function trainingGflops(cfg: Record<string, unknown>, name: string, img: number, nc?: number): number {
  return summarizeModel(specOf(cfg, name, nc), img).gflops;
}

/** The documented basis. */
export async function documentedBasis(): Promise<GpuCostBasis> {
  const d = DOCUMENTED_RUN;
  const gflops = trainingGflops(await buildConfig(d.model), d.model, d.img);
  return {
    kind: "documented",
    label: `documented figures (${d.source}; YOLOv9-C at ${
      gflops.toFixed(1)
    } training GFLOPs); ${d.gpu} hours`,
    secondsPerGflop: (d.gpuHours * 3600) / (d.epochs * d.trainImages * gflops),
  };
}

/** The measured basis from the JSON output of `deno task bench train --json` on the webgpu backend. */
export async function measuredBasis(bench: unknown, source: string): Promise<GpuCostBasis> {
  const b = bench as { backend?: string; results?: StepTimeRow[] };
  if (!b || typeof b.backend !== "string" || !Array.isArray(b.results)) {
    throw new SyntaxError(
      `${source}: expected the JSON of deno task bench train --json ({backend, results})`,
    );
  }
  if (!/webgpu/i.test(b.backend)) {
    throw new RangeError(
      `${source}: expected step times measured on the webgpu backend, got backend "${b.backend}"`,
    );
  }
  const rows = b.results.filter((r) => (r.mode ?? "train") === "train");
  if (!rows.length) throw new RangeError(`${source}: no training rows (run deno task bench train --json)`);
  const ks: number[] = [];
  for (const r of rows) {
    if (!(r.median_s > 0 && r.batch > 0 && r.img > 0)) {
      throw new RangeError(`${source}: row ${r.model}: expected positive median_s, batch and img`);
    }
    ks.push(r.median_s / r.batch / trainingGflops(await buildConfig(r.model), r.model, r.img));
  }
  const k = ks.reduce((s, x) => s + x, 0) / ks.length;
  const what = rows.map((r) => `${r.model} ${r.img}px b${r.batch} ${(r.median_s * 1000).toFixed(0)} ms`).join(
    ", ",
  );
  return {
    kind: "measured",
    label: `measured webgpu step times (${source}: ${what}; training steps only); hours of that GPU`,
    secondsPerGflop: k,
  };
}

/**
 * GPU-hours of each job and in all.
 *
 * @example
 * ```ts
 * import { buildPlan } from "./plan.ts";
 * import { getPreset } from "./presets.ts";
 * import { TABLE5 } from "../../experiments/table5.ts";
 * const p = getPreset("paper");
 * const settings = { data: "coco.yaml", epochs: 500, batch: p.batch, img: p.img, hyp: p.hyp,
 *   closeMosaic: p.closeMosaic, nbs: p.nbs, noval: p.noval, trainImages: 118287, valImages: 5000 };
 * const plan = await buildPlan([TABLE5], { settings, seeds: p.seeds, scale: p.scale, variants: "all" });
 * console.log(gpuHours(plan.jobs, await documentedBasis()).total.toFixed(0), "RTX 3090 hours");
 * ```
 */
export function gpuHours(
  jobs: readonly Job[],
  basis: GpuCostBasis,
  nc?: number,
): { total: number; perRun: number[] } {
  const perRun = jobs.map((j) => {
    const s = j.settings;
    const g = trainingGflops(j.cfg, j.key, s.img, nc);
    return (basis.secondsPerGflop * g * Math.max(s.trainImages, 1) * s.epochs) / 3600;
  });
  return { total: perRun.reduce((a, b) => a + b, 0), perRun };
}
