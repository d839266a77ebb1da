/**
 * From variant data to model configurations: the full-size config of a variant (base + edits), its
 * parameter / FLOP counts at 640 x 640 (training model, and the inference model after removing the
 * auxiliary branches, fused as the paper prints them), and the CPU-scale config of a preset.
 * @module
 */
import { loadModelConfig } from "../models/shipped.ts";
import { configToDict, parseModelConfig } from "../graph/config.ts";
import { buildModelSpec } from "../models/build.ts";
import { modelShapes, type ModelSpec } from "../graph/spec.ts";
import { type Cost, summarizeModel } from "../graph/summary.ts";
import { scaleConfig, type ScaleOptions } from "../graph/scale.ts";
import { stripAux } from "../pgi/strip_aux.ts";
import { flattenTree } from "../nn/tree.ts";
import { applyEdits, type Edit } from "./edits.ts";
import type { Variant } from "./spec.ts";

/** The repository root (relative config paths of variants are resolved against it). */
export const REPO_ROOT: string = new URL("../../", import.meta.url).pathname;

/**
 * The official-format mapping of `base` (shipped name, absolute path, or a path relative to the
 * repository root) with `edits` applied.
 */
export async function buildConfig(
  base: string,
  edits: readonly Edit[] = [],
): Promise<Record<string, unknown>> {
  const path = base.includes("/") && !base.startsWith("/") ? REPO_ROOT + base : base;
  const cfg = await loadModelConfig(path);
  return applyEdits(configToDict(cfg), edits);
}

/** The full-size mapping of a variant (throws for a paper-only row, whose `base` is null). */
export function variantConfig(v: Variant): Promise<Record<string, unknown>> {
  if (v.base === null) throw new Error(`Variant ${v.id} cannot be built here: ${v.note ?? "no base config"}`);
  return buildConfig(v.base, v.edits);
}

/** Model spec of a mapping (nc 80 unless given). */
export function specOf(cfg: Record<string, unknown>, name: string, nc?: number): ModelSpec {
  return buildModelSpec(parseModelConfig(cfg, name), nc === undefined ? {} : { nc });
}

/** The inference model of a (possibly multi-branch) spec: auxiliary branches removed. */
export function inferenceSpec(spec: ModelSpec): ModelSpec {
  if (spec.branches === 1) return spec;
  const keys = flattenTree(modelShapes(spec)).map(([k]) => k);
  return buildModelSpec(stripAux(spec, keys).config, { nc: spec.nc });
}

/** Counts of one variant at 640 x 640, nc 80. */
export interface VariantCounts {
  /** The training model (with auxiliary branches). */
  train: Cost;
  /** The inference model (auxiliary branches removed); `params_fused` / `gflops_fused` are the paper's columns. */
  inference: Cost;
  /** Head branches of the training model (1 GELAN, 2 with one auxiliary branch, 3 with two). */
  branches: number;
  layers: number;
}

/** Counts of a full-size mapping (see {@link VariantCounts}). */
export function countsOf(cfg: Record<string, unknown>, name: string, img = 640): VariantCounts {
  const spec = specOf(cfg, name);
  return {
    train: summarizeModel(spec, img),
    inference: summarizeModel(inferenceSpec(spec), img),
    branches: spec.branches,
    layers: spec.layers.length,
  };
}

/** The CPU-scale mapping of a full-size one under a preset's scaling rule. */
export function scaledConfig(cfg: Record<string, unknown>, scale: ScaleOptions): Record<string, unknown> {
  return scaleConfig(cfg, scale);
}

/** How a printed count compares with ours: printed to `digits` decimals in millions / giga. */
export interface CountCheck {
  paper: number;
  ours: number;
  /** ours rounded as printed. */
  printed: number;
  /** printed - paper. */
  diff: number;
  match: boolean;
}

/** Compare a paper column (M or G, printed to one decimal) with an exact count in the same unit. */
export function checkCount(paper: number, ours: number, digits = 1): CountCheck {
  const f = 10 ** digits;
  const printed = Math.round(ours * f) / f;
  const diff = Math.round((printed - paper) * f) / f;
  return { paper, ours, printed, diff, match: diff === 0 };
}
