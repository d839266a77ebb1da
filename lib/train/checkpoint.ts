/**
 * Training checkpoints (`train_dual.py` saves `{epoch, best_fitness, model, ema, updates, optimizer, opt}`
 * to `weights/last.pt` and `best.pt`; reference spec §7). Here `weights/last.safetensors` holds the EMA
 * weights as the model (what val/detect load, with the config embedded) and `weights/last.state.safetensors`
 * the rest needed to resume: the raw model (`model.*`), the SGD momentum buffers (`momentum.model.*`, PyTorch
 * layout) and the loop's counters in metadata. `last`, its sidecar and `best` are replaced as one commit
 * (lib/io/commit.ts), so a kill at any moment leaves a matching set; a shared `checkpoint_id` detects a
 * mismatched pair put together by hand.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type Tree, unflattenTree } from "../nn/tree.ts";
import { rawToTensor } from "./pretrained.ts";
import { readSafetensors, writeSafetensors } from "../io/safetensors.ts";
import { loadModel, saveModel } from "../models/load.ts";
import type { ModelSpec } from "../graph/spec.ts";
import { disposeWeights, readStateDict, weightsFromStateDict, weightValuesProblem } from "../graph/weights.ts";
import type { Hyp } from "../data/types.ts";
import type { EpochRow } from "./types.ts";
import type { ParamGroups } from "../optim/param_groups.ts";
import type { TrainState } from "./train_step.ts";
import { pathExists } from "../io/exists.ts";
import { commitFiles, recoverCommit } from "../io/commit.ts";

/** The loop's counters and history saved with a checkpoint. */
export interface CheckpointMeta {
  /** Last completed epoch (0-based). */
  epoch: number;
  bestFitness: number;
  /** Rows of results.csv so far. */
  rows: EpochRow[];
  /** Resolved run options and hyperparameters (as opt.yaml / hyp.yaml). */
  opt: Record<string, unknown>;
  hyp: Hyp;
  names: string[];
  date: string;
}

/** Paths of a run's checkpoint files inside `weights/`. */
export function checkpointPaths(weightsDir: string): { last: string; best: string; state: string } {
  return {
    last: `${weightsDir}/last.safetensors`,
    best: `${weightsDir}/best.safetensors`,
    state: `${weightsDir}/last.state.safetensors`,
  };
}

/** Metadata written into the EMA model file (epoch, fitness, class names). */
function modelMetadata(meta: CheckpointMeta, id: string, updates: number): Record<string, string> {
  return {
    format: "yolov9-ts checkpoint (EMA weights)",
    epoch: String(meta.epoch),
    best_fitness: String(meta.bestFitness),
    updates: String(updates),
    names: JSON.stringify(meta.names),
    date: meta.date,
    checkpoint_id: id,
  };
}

/**
 * Write `last` (and `best` when `isBest`) for the state after epoch `meta.epoch`. `groups` aligns the
 * momentum buffers with their parameter names.
 */
export async function saveCheckpoint(
  weightsDir: string,
  args: { spec: ModelSpec; state: TrainState; groups: ParamGroups; meta: CheckpointMeta; isBest: boolean },
): Promise<void> {
  const { spec, state, groups, meta } = args;
  const paths = checkpointPaths(weightsDir);
  const id = `${meta.epoch}@${meta.date}`;
  const momentum: [string, tf.Tensor][] = [];
  state.sgd.buffers.forEach((b, i) => b && momentum.push([`momentum.${groups.names[i]}`, b]));
  const tensors = new Map([
    ...await readStateDict(state.weights),
    ...await readStateDict(unflattenTree(momentum)),
  ]);
  const loop = {
    epoch: meta.epoch,
    best_fitness: meta.bestFitness,
    updates: state.ema.updates,
    last_opt_step: state.lastOptStep,
    rows: meta.rows,
    opt: meta.opt,
    hyp: meta.hyp,
    names: meta.names,
    date: meta.date,
  };
  const emaSd = await readStateDict(state.ema.weights);
  const bad = weightValuesProblem(tensors) ?? weightValuesProblem(emaSd)?.replace(/^tensor /, "EMA tensor ");
  if (bad) {
    throw new RangeError(
      `Training stopped: the state after epoch ${meta.epoch} is not finite (${bad}); it is not saved, the last ` +
        `finite checkpoint stays in ${weightsDir}`,
    );
  }
  const md = modelMetadata(meta, id, state.ema.updates);
  const model = (name: string) => ({ name, write: (p: string) => saveModelFile(p, spec, state.ema.weights, md) });
  await commitFiles(weightsDir, [
    { name: basename(paths.state), write: (p) => writeSafetensors(p, tensors, { checkpoint_id: id, train_state: JSON.stringify(loop) }) },
    model(basename(paths.last)),
    ...(args.isBest ? [model(basename(paths.best))] : []),
  ]);
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

/**
 * `saveModel`, making sure the file's first byte is not 0x80: lib/io/weights_file.ts takes such a file
 * (a header length of 128 mod 256) for a pickle. A `pad` metadata entry shifts the header length.
 */
export async function saveModelFile(
  path: string,
  spec: ModelSpec,
  weights: Tree<tf.Tensor>,
  metadata: Record<string, string>,
): Promise<void> {
  for (let pad = ""; pad.length <= 16; pad += " ") {
    await saveModel(path, spec, weights, { metadata: pad ? { ...metadata, pad } : metadata });
    const f = await Deno.open(path);
    const first = new Uint8Array(1);
    await f.read(first);
    f.close();
    if (first[0] !== 0x80) return;
  }
}

/** A checkpoint read back: the model spec, the full training state and the loop's metadata. */
export interface LoadedCheckpoint {
  spec: ModelSpec;
  state: TrainState;
  meta: CheckpointMeta;
}

/**
 * Read `last` + sidecar of a run (`weightsDir` = run/weights) into a training state; `groups` is
 * computed by the caller from the loaded model. Throws naming the files when the sidecar is missing
 * or belongs to another save.
 */
export async function loadCheckpoint(
  weightsDir: string,
  groupsOf: (weights: Tree<tf.Tensor>) => ParamGroups,
): Promise<LoadedCheckpoint & { groups: ParamGroups }> {
  const paths = checkpointPaths(weightsDir);
  await recoverCommit(weightsDir);
  let side;
  try {
    side = await readSafetensors(paths.state);
  } catch (e) {
    const finished = await pathExists(paths.last);
    throw new Error(
      `Cannot resume from ${weightsDir}: no training state ${paths.state}` +
        (finished ? " (the run has finished: the state is removed at the end)" : ` (${(e as Error).message})`),
    );
  }
  const ema = await loadModel(paths.last);
  if (ema.metadata.checkpoint_id !== side.metadata.checkpoint_id) {
    disposeWeights(ema.weights);
    throw new Error(
      `Cannot resume: ${paths.last} (checkpoint ${ema.metadata.checkpoint_id}) and ${paths.state} ` +
        `(checkpoint ${side.metadata.checkpoint_id}) are from different saves`,
    );
  }
  const loop = JSON.parse(side.metadata.train_state);
  const modelSd = new Map([...side.tensors].filter(([k]) => k.startsWith("model.")));
  const weights = weightsFromStateDict(ema.spec, modelSd, { source: paths.state });
  const groups = groupsOf(weights);
  const buffers = groups.names.map((n) => {
    const raw = side.tensors.get(`momentum.${n}`);
    return raw ? rawToTensor(raw, n) : null;
  });
  const state: TrainState = {
    weights,
    sgd: { buffers },
    ema: { weights: ema.weights, updates: loop.updates },
    gradAcc: null,
    lastOptStep: loop.last_opt_step,
  };
  const meta: CheckpointMeta = {
    epoch: loop.epoch,
    bestFitness: loop.best_fitness,
    rows: loop.rows,
    opt: loop.opt,
    hyp: loop.hyp,
    names: loop.names,
    date: loop.date,
  };
  return { spec: ema.spec, state, meta, groups };
}

/** Remove the resume sidecar once a run has finished (the reference's `strip_optimizer`). */
export async function stripCheckpoint(weightsDir: string): Promise<void> {
  await Deno.remove(checkpointPaths(weightsDir).state).catch(() => {});
}
