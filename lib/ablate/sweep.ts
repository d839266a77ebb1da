/**
 * The recipe sweep behind a preset (`deno task ablate --sweep`): one base variant trained at a few
 * (batch, epochs, learning rate, warm-up) points on the preset's data and scale, each point one run of
 * the ablation runner (resumable, one folder per run), reported as a table of final COCO AP and
 * mAP50-95, steps and wall time. The preset's recipe is then frozen for every variant of every table;
 * the table goes into the preset's doc comment (lib/ablate/presets.ts).
 * @module
 */
import type { Variant } from "./spec.ts";
import type { Preset } from "./presets.ts";
import { canonicalJson, type Job, type RunSettings, shortHash } from "./plan.ts";
import { scaledConfig, variantConfig } from "./variants.ts";
import type { RunRecord } from "./runner.ts";
import { formatDuration } from "./runner.ts";

/** One point of a sweep: batch (= nominal batch), epochs of the preset's data, hyp overrides. */
export interface RecipePoint {
  id: string;
  batch: number;
  epochs: number;
  hyp: Record<string, number>;
}

/** A sweep: the base variant, the seeds and the points. */
export interface RecipeSweep {
  variant: Variant;
  seeds: number[];
  points: RecipePoint[];
}

/** The runs of a sweep under `preset` on `data` (the preset's hyp with each point's overrides). */
export async function sweepJobs(sw: RecipeSweep, preset: Preset, data: { path: string; trainImages: number; valImages: number }): Promise<Job[]> {
  const cfg = scaledConfig(await variantConfig(sw.variant), preset.scale);
  const jobs: Job[] = [];
  for (const p of sw.points) {
    for (const seed of sw.seeds) {
      const settings: RunSettings = {
        data: data.path, epochs: p.epochs, batch: p.batch, img: preset.img, hyp: { ...preset.hyp, ...p.hyp },
        closeMosaic: 0, nbs: p.batch, noval: false, trainImages: data.trainImages, valImages: data.valImages,
      };
      const key = await shortHash(canonicalJson({ sweep: 1, cfg, seed, ...settings }));
      jobs.push({ key, cfg, lhg: !!sw.variant.lhg, seed, settings, uses: [{ table: "sweep", variant: p.id }], cost: p.epochs * data.trainImages });
    }
  }
  return jobs;
}

/** The sweep's result table (markdown): one row per point, mean over its seeds. */
export function sweepMarkdown(sw: RecipeSweep, jobs: readonly Job[], records: ReadonlyMap<string, RunRecord>): string {
  const out = [
    `Recipe sweep of ${sw.variant.label} (seeds ${sw.seeds.join(", ")}): final COCO AP / mAP50-95 on the validation split.`,
    "",
    "| point | batch | steps | hyp overrides | AP | mAP50-95 (val.py) | wall time per run |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const p of sw.points) {
    const recs = jobs.filter((j) => j.uses[0].variant === p.id).map((j) => records.get(j.key)).filter((r) => r?.status === "done");
    const mean = (f: (r: RunRecord) => number) => recs.length ? (recs.reduce((s, r) => s + f(r!), 0) / recs.length).toFixed(1) : "–";
    const steps = p.epochs * Math.ceil(jobs[0].settings.trainImages / p.batch);
    const hyp = Object.entries(p.hyp).map(([k, v]) => `${k} ${v}`).join(", ") || "–";
    out.push(`| ${p.id} | ${p.batch} | ${steps} | ${hyp} | ${mean((r) => r.metrics!.ap)} | ${mean((r) => 100 * r.metrics!.map)} | ${recs.length ? formatDuration(recs.reduce((s, r) => s + r!.seconds, 0) / recs.length) : "–"} |`);
  }
  return out.join("\n") + "\n";
}
