/**
 * Loading and saving whole models: weights files (safetensors, or official `.pt` checkpoints)
 * carry their configuration (`model_yaml` metadata: the official YAML mapping as JSON, as official
 * checkpoints keep `model.yaml`; `fused`: "true" for fused weights), so `--cfg` is optional for files
 * written by this project or the official code.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Tree } from "../nn/tree.ts";
import { writeSafetensors } from "../io/safetensors.ts";
import { loadWeightsFile, type WeightsFile } from "../io/weights_file.ts";
import { loadModelConfig } from "./shipped.ts";
import { configToDict, type ModelConfig, parseModelConfig } from "../graph/config.ts";
import { buildModelSpec } from "./build.ts";
import type { ModelSpec } from "../graph/spec.ts";
import { readStateDict, weightsFromStateDict } from "../graph/weights.ts";

/** A model ready to run: resolved graph and weights. */
export interface LoadedModel {
  spec: ModelSpec;
  weights: Tree<tf.Tensor>;
  fused: boolean;
  metadata: Record<string, string>;
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** Config name or YAML path; required when the weights file carries none. */
  cfg?: string;
  /** Use the EMA weights of a `.pt` checkpoint when present. */
  ema?: boolean;
}

/** Load a weights file (`.safetensors` or `.pt`) into a model. */
export async function loadModel(path: string, opts: LoadModelOptions = {}): Promise<LoadedModel> {
  const file = await loadWeightsFile(path, { ema: opts.ema });
  return modelFromWeights(file, path, opts.cfg ? await loadModelConfig(opts.cfg) : undefined);
}

/**
 * A model from parsed weights (no file access: also for the browser). `cfg` overrides the configuration the
 * file carries; `source` names the file in errors.
 */
export function modelFromWeights(file: WeightsFile, source: string, cfg?: ModelConfig): LoadedModel {
  if (!cfg && !file.yaml) {
    throw new Error(
      `Cannot load ${source}: it carries no model configuration (no model_yaml metadata); give the model config ` +
        `with --cfg (val, detect and reparam take one)`,
    );
  }
  const config = cfg ?? parseModelConfig(file.yaml!, `${source} (embedded config)`);
  const spec = buildModelSpec(config, file.nc ? { nc: file.nc } : {});
  const fused = file.metadata.fused === "true";
  const weights = weightsFromStateDict(spec, file.tensors, { fused, source });
  return { spec, weights, fused, metadata: file.metadata };
}

/** Save a model as safetensors with its configuration in metadata (atomic write). */
export async function saveModel(
  path: string,
  spec: ModelSpec,
  weights: Tree<tf.Tensor>,
  opts: { fused?: boolean; metadata?: Record<string, string> } = {},
): Promise<void> {
  await writeSafetensors(path, await readStateDict(weights), modelFileMetadata(spec, opts));
}

/** The safetensors metadata of a model file: its configuration (`model_yaml`), `nc`, `fused`, plus `metadata`. */
export function modelFileMetadata(
  spec: ModelSpec,
  opts: { fused?: boolean; metadata?: Record<string, string> } = {},
): Record<string, string> {
  return {
    ...opts.metadata,
    model_yaml: JSON.stringify(configToDict({ ...spec.config, nc: spec.nc })),
    nc: String(spec.nc),
    fused: String(!!opts.fused),
  };
}
