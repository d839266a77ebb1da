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
import { loadWeightsFile } from "../io/weights_file.ts";
import { configToDict, loadModelConfig, type ModelConfig, parseModelConfig } from "./config.ts";
import { buildModelSpec, type ModelSpec } from "./spec.ts";
import { stateDictFromWeights, weightsFromStateDict } from "./weights.ts";

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
  let cfg: ModelConfig;
  if (opts.cfg) cfg = await loadModelConfig(opts.cfg);
  else if (file.yaml) cfg = parseModelConfig(file.yaml, `${path} (embedded config)`);
  else {
    throw new Error(
      `Cannot load ${path}: it carries no model configuration (no model_yaml metadata); give the model config ` +
        `with --cfg (val, detect and reparam take one)`,
    );
  }
  const spec = buildModelSpec(cfg, file.nc ? { nc: file.nc } : {});
  const fused = file.metadata.fused === "true";
  const weights = weightsFromStateDict(spec, file.tensors, { fused, source: path });
  return { spec, weights, fused, metadata: file.metadata };
}

/** Save a model as safetensors with its configuration in metadata (atomic write). */
export async function saveModel(
  path: string,
  spec: ModelSpec,
  weights: Tree<tf.Tensor>,
  opts: { fused?: boolean; metadata?: Record<string, string> } = {},
): Promise<void> {
  await writeSafetensors(path, stateDictFromWeights(weights), {
    ...opts.metadata,
    model_yaml: JSON.stringify(configToDict({ ...spec.config, nc: spec.nc })),
    nc: String(spec.nc),
    fused: String(!!opts.fused),
  });
}
