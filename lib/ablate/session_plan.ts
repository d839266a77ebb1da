/**
 * The run plan of an ablation session: the run settings of a preset on the session's data (one length
 * for every run, or a table's own, `Ablation.steps`), the jobs of the selected tables and the training
 * runs of the figures, sharing the tables' runs where they are the same. Nothing is trained.
 * @module
 */
import type { Ablation, Figure } from "./spec.ts";
import type { Preset } from "./presets.ts";
import { batchesPerEpoch, buildPlan, type Plan, type RunSettings } from "./plan.ts";

/** What shapes a session's plan (the planning part of the ablation options). */
export interface SessionPlanOptions {
  preset: Preset;
  /** The tables and figures to reproduce (the registry `experiments/mod.ts` selects them by name). */
  experiments: { tables: readonly Ablation[]; figures: readonly Figure[] };
  seeds?: number[];
  /** Optimizer steps of every run (default: the preset's, or a table's own). */
  steps?: number;
  /** Epochs of every run instead of steps (`--epochs`). */
  epochs?: number;
  /** Dataset YAML and its numbers of training and validation images. */
  data: { path: string; trainImages: number; valImages?: number; nc?: number };
  /** Only these variant ids per table (`--variants table2:csp,conv`). */
  only?: Record<string, string[]>;
}

/**
 * Whether every iteration of a session's runs is inside the warm-up (`nw = max(round(warmup_epochs x nb),
 * 100)` iterations of the official schedule).
 */
export function inWarmup(s: RunSettings): boolean {
  const nb = batchesPerEpoch(s);
  const nw = Math.max(Math.round((s.hyp.warmup_epochs ?? 3) * nb), 100);
  return s.epochs * nb <= nw;
}

/** The plan of a session: selected experiments, run settings and jobs (nothing is trained). */
export async function planSession(o: SessionPlanOptions): Promise<{
  plan: Plan;
  tables: Ablation[];
  figures: Figure[];
  settings: RunSettings;
  seeds: number[];
  /** Settings of the tables with their own run length, by name (see {@link ownLengths}). */
  tableSettings: Record<string, RunSettings>;
}> {
  const p = o.preset;
  const tables = [...o.experiments.tables], figures = [...o.experiments.figures];
  const seeds = o.seeds ?? p.seeds;
  const nb = batchesPerEpoch({ trainImages: o.data.trainImages, batch: p.batch });
  const settings: RunSettings = {
    data: o.data.path,
    ...runLength(p, o.epochs ?? epochsOf(o.steps ?? p.steps, nb)),
    batch: p.batch,
    img: p.img,
    hyp: { ...p.hyp, warmup_epochs: Math.round((p.warmupSteps / nb) * 1e4) / 1e4 },
    nbs: p.nbs,
    noval: p.noval,
    ...(p.yolov7Gains ? { yolov7Gains: p.yolov7Gains } : {}),
    trainImages: o.data.trainImages,
    valImages: o.data.valImages ?? 0,
  };
  const tableSettings = ownLengths(tables, p, o, settings);
  const planOpts = { seeds, scale: p.scale, variants: p.variants, only: o.only };
  const plan = await buildPlan(tables, { ...planOpts, settings, tableSettings });
  for (const f of figures) {
    if (!f.training) continue;
    const e = f.training.epochs;
    const shared = e === "warmup" && inWarmup(settings);
    const fp = await buildPlan([f.training.ablation], {
      ...planOpts,
      seeds: f.training.seeds?.(p as unknown as Record<string, unknown>, seeds) ?? seeds,
      variants: "all",
      settings: shared ? settings : { ...settings, epochs: e === "warmup" ? 1 : e, closeMosaic: 0 },
    });
    const known = new Map(plan.jobs.map((j) => [j.key, j]));
    for (const j of fp.jobs) known.has(j.key) ? known.get(j.key)!.uses.push(...j.uses) : plan.jobs.push(j);
    plan.entries.push(...fp.entries);
  }
  return { plan, tables, figures, settings, seeds, tableSettings };
}

/** Epochs of a run of `steps` optimizer steps at `nb` batches per epoch (at least 1). */
function epochsOf(steps: number, nb: number): number {
  return Math.max(1, Math.round(steps / nb));
}

/** A run length in epochs with the preset's close-mosaic epochs (fewer when the run is shorter). */
function runLength(p: Preset, epochs: number): Pick<RunSettings, "epochs" | "closeMosaic"> {
  return { epochs, closeMosaic: Math.min(p.closeMosaic, Math.max(0, epochs - 1)) };
}

/**
 * Settings of the tables that set their own length under the preset (`Ablation.steps`), unless the
 * session's length was given (`--steps`, `--epochs`): same data, epochs = steps / batches per epoch.
 */
function ownLengths(
  tables: readonly Ablation[],
  p: Preset,
  o: Pick<SessionPlanOptions, "steps" | "epochs">,
  settings: RunSettings,
): Record<string, RunSettings> {
  const out: Record<string, RunSettings> = {};
  if (o.steps !== undefined || o.epochs !== undefined || (p.name !== "quick" && p.name !== "full")) {
    return out;
  }
  const nb = batchesPerEpoch(settings);
  for (const a of tables) {
    const steps = a.steps?.[p.name];
    if (steps !== undefined) out[a.name] = { ...settings, ...runLength(p, epochsOf(steps, nb)) };
  }
  return out;
}
