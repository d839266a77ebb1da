/**
 * The run plan of an ablation session: every (table, variant, seed) to train becomes a job whose key
 * is a hash of everything that determines its result (CPU-scale config, loss option, seed, data and
 * training settings), so identical runs requested by several tables (GELAN-C is in Tables 3, 4 and 5)
 * are trained once, and a finished run is recognised after an interruption.
 * @module
 */
import { summarizeModel } from "../graph/summary.ts";
import { isAnchorBased, modelShapes } from "../graph/spec.ts";
import { flattenTree } from "../nn/tree.ts";
import type { Ablation, Variant } from "./spec.ts";
import { quickVariants, smokeVariants } from "./spec.ts";
import { scaledConfig, specOf, variantConfig } from "./variants.ts";
import type { ScaleOptions } from "../graph/scale.ts";
import type { Yolov7Gains } from "../loss/yolov7_ota.ts";

/** Training settings shared by every run of a session. */
export interface RunSettings {
  /** Dataset YAML path. */
  data: string;
  epochs: number;
  batch: number;
  img: number;
  hyp: Record<string, number>;
  closeMosaic: number;
  /** Nominal batch of gradient accumulation (official 64; a preset's short runs use their batch). */
  nbs: number;
  /** Validate only after the final epoch (`--noval`); the run's best weights are then its last. */
  noval: boolean;
  /**
   * The anchor-based YOLOv7's cls and obj loss gains as they act after train.py's rescaling (see
   * yolov7HypFor; only a YOLOv7 job's settings carry it); absent: hyp.scratch.p5's values, rescaled as
   * train.py does.
   */
  yolov7Gains?: Pick<Yolov7Gains, "cls" | "obj">;
  /** Training / validation images per epoch (for time estimates; 0 when unknown). */
  trainImages: number;
  valImages?: number;
}

/** Batches per epoch of a dataset of `trainImages` at `batch` (the last partial batch kept). */
export function batchesPerEpoch(s: Pick<RunSettings, "trainImages" | "batch">): number {
  return Math.ceil(Math.max(s.trainImages, 1) / s.batch);
}

/** One (table, variant) that uses a job. */
export interface Use {
  table: string;
  variant: string;
}

/** One training run. */
export interface Job {
  key: string;
  /** The CPU-scale official-format mapping. */
  cfg: Record<string, unknown>;
  lhg: boolean;
  seed: number;
  settings: RunSettings;
  uses: Use[];
  /** Estimated seconds (see {@link estimateSeconds}); the runner rescales it by measured times. */
  cost: number;
}

/** One cell of a table: which job holds the run of (table, variant, seed). */
export interface Entry extends Use {
  seed: number;
  key: string;
}

/** The plan: unique jobs in execution order, and the entries of every table. */
export interface Plan {
  jobs: Job[];
  entries: Entry[];
}

/** JSON with object keys sorted (a stable text for hashing). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${
      Object.keys(v).sort().map((k) =>
        `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`
      ).join(",")
    }}`;
  }
  return JSON.stringify(v ?? null);
}

/** First 16 hex digits of the SHA-256 of a text. */
export async function shortHash(text: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(d.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What a run's time depends on: conv layers (per-op overhead dominates small models) and GFLOPs. */
export interface CostInputs {
  convs: number;
  /** Forward GFLOPs per image at the run's size (training graph). */
  gflops: number;
}

/**
 * Prior seconds of one run on one wasm thread, fitted on this project's CPU measurements (training
 * step ~ 2.5 ms per conv layer per batch + 0.45 s per forward GFLOP per image; validation about a
 * third of a training image; ~6 s to build, save and evaluate). Only relative accuracy matters: the
 * runner rescales estimates by measured times.
 */
export function estimateSeconds(
  c: CostInputs,
  s: Pick<RunSettings, "epochs" | "batch" | "trainImages" | "valImages">,
): number {
  const perImage = (0.0025 * c.convs) / s.batch + 0.45 * c.gflops;
  const epoch = Math.max(s.trainImages, 1) * perImage + (s.valImages ?? 0) * perImage / 3 + 1;
  return 6 + s.epochs * epoch + (s.valImages ?? 0) * perImage / 3;
}

/** Options of {@link buildPlan}. */
export interface PlanOptions {
  settings: RunSettings;
  seeds: number[];
  scale: ScaleOptions;
  /** Train every buildable variant, the quick subset, or only the smoke variants. */
  variants: "all" | "quick" | "smoke";
  /** Restrict to these variant ids per table (from `--variants`). */
  only?: Record<string, string[]>;
  /** Settings of the tables with their own run length (`Ablation.steps`), by table name; others use `settings`. */
  tableSettings?: Record<string, RunSettings>;
}

/** Variants of an ablation that a plan trains. */
export function trainedVariants(a: Ablation, o: Pick<PlanOptions, "variants" | "only">): Variant[] {
  const list = o.variants === "smoke"
    ? smokeVariants(a)
    : o.variants === "quick"
    ? quickVariants(a)
    : a.variants.filter((v) => v.base !== null);
  const only = o.only?.[a.name];
  return only ? list.filter((v) => only.includes(v.id)) : list;
}

/** Build the plan of `ablations` (seed-major order, so every variant gets a first seed early). */
export async function buildPlan(ablations: readonly Ablation[], o: PlanOptions): Promise<Plan> {
  const jobs = new Map<string, Job>();
  const entries: Entry[] = [];
  const cfgs = new Map<string, { cfg: Record<string, unknown>; cost: CostInputs; anchorBased: boolean }>();
  for (const seed of o.seeds) {
    for (const a of ablations) {
      for (const v of trainedVariants(a, o)) {
        const ck = `${a.name}/${v.id}`;
        if (!cfgs.has(ck)) {
          const cfg = scaledConfig(await variantConfig(v), o.scale);
          const spec = specOf(cfg, v.id);
          const convs = flattenTree(modelShapes(spec)).filter(([k, sh]) =>
            k.endsWith("weight") && sh.length === 4
          ).length;
          const gflops = summarizeModel(spec, o.settings.img).gflops;
          cfgs.set(ck, { cfg, cost: { convs, gflops }, anchorBased: isAnchorBased(spec) });
        }
        const { cfg, cost, anchorBased } = cfgs.get(ck)!;
        const lhg = !!v.lhg;
        const table = o.tableSettings?.[a.name] ?? o.settings;
        // Only YOLOv7's runs depend on its gains: the other jobs' settings (and keys) go without them.
        const { yolov7Gains, ...rest } = table;
        const s: RunSettings = anchorBased || !yolov7Gains ? table : rest;
        const key = await shortHash(canonicalJson({
          v: 1,
          cfg,
          lhg,
          seed,
          data: s.data,
          epochs: s.epochs,
          batch: s.batch,
          img: s.img,
          hyp: s.hyp,
          closeMosaic: s.closeMosaic,
          nbs: s.nbs,
          noval: s.noval,
          ...(s.yolov7Gains ? { yolov7Gains: s.yolov7Gains } : {}),
        }));
        const use = { table: a.name, variant: v.id };
        const job = jobs.get(key);
        if (job) job.uses.push(use);
        else {
          jobs.set(key, { key, cfg, lhg, seed, settings: s, uses: [use], cost: estimateSeconds(cost, s) });
        }
        entries.push({ ...use, seed, key });
      }
    }
  }
  return { jobs: [...jobs.values()], entries };
}
