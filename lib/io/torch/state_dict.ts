/**
 * {@link stateDictFromCheckpoint}: the `state_dict()` of a checkpoint with the official names, found by walking
 * the module records' `_parameters`, `_buffers` and `_modules`, plus what the model record says about the model
 * (its yaml, `nc`, `names`, `stride`).
 * @module
 */
import { parse as parseYaml } from "yaml";
import type { RawTensor } from "../raw_tensor.ts";
import { describe, PyObject, toPlain } from "../pickle/mod.ts";
import { TorchCheckpoint } from "./checkpoint.ts";
import { TorchCheckpointError } from "./errors.ts";
import { TorchTensor } from "./tensor.ts";

/** Options of {@link stateDictFromCheckpoint}. */
export interface StateDictOptions {
  /** Take `ckpt['ema']` when it is present and not None (default: `ckpt['model']`). */
  ema?: boolean;
}

/** The weights of a checkpoint with the official names, and what the checkpoint says about the model. */
export interface CheckpointStateDict {
  /** `state_dict()` in order, with official dotted names; data are materialised copies. */
  tensors: Map<string, RawTensor>;
  /** Names in `tensors` that are `nn.Parameter`s (the rest are buffers). */
  parameters: Set<string>;
  /** Which object the weights came from: `model`, `ema`, `state_dict`, or `root` (the file holds them directly). */
  from: string;
  /** Class of the model record, e.g. `models.yolo.DetectionModel` (absent for plain state dicts). */
  modelClass?: string;
  /** The model configuration (`DetectionModel.yaml`) as plain JSON data. */
  yaml?: Record<string, unknown>;
  /** The yaml file the model was built from (`DetectionModel.yaml_file`). */
  yamlFile?: string;
  /** Number of classes. */
  nc?: number;
  /** Class names in index order. */
  names?: string[];
  /** Model strides (`DetectionModel.stride`). */
  stride?: number[];
}

function isModule(v: unknown): boolean {
  return v instanceof PyObject && v.attrs?.get("_parameters") instanceof Map &&
    v.attrs?.get("_modules") instanceof Map;
}

/** Most modules visited by one state_dict walk (a small pickle can share submodules exponentially). */
const MAX_MODULES = 1_000_000;

function walkModule(
  m: PyObject,
  prefix: string,
  out: Map<string, RawTensor>,
  params: Set<string>,
  path: Set<PyObject>,
  depth: number,
  count: { n: number },
): void {
  if (depth > 256) {
    throw new TorchCheckpointError(`Cannot build state_dict: modules nested deeper than 256 at "${prefix}"`);
  }
  if (++count.n > MAX_MODULES) {
    throw new TorchCheckpointError(`Cannot build state_dict: more than ${MAX_MODULES} modules`);
  }
  if (path.has(m)) throw new TorchCheckpointError(`Cannot build state_dict: module cycle at "${prefix}"`);
  path.add(m);
  const a = m.attrs!;
  const take = (kind: string, skip?: Set<unknown>) => {
    const d = a.get(kind);
    if (d === undefined || d === null) return;
    if (!(d instanceof Map)) {
      throw new TorchCheckpointError(
        `Cannot build state_dict: ${prefix || m.qualname} ${kind} is ${describe(d)}`,
      );
    }
    for (const [k, t] of d) {
      if (t === null || skip?.has(k)) continue;
      const name = `${prefix}${String(k)}`;
      if (!(t instanceof TorchTensor)) {
        throw new TorchCheckpointError(
          `Cannot build state_dict: "${name}" is ${describe(t)}, not a dense tensor`,
        );
      }
      out.set(name, t);
      if (kind === "_parameters") params.add(name);
    }
  };
  take("_parameters");
  const np = a.get("_non_persistent_buffers_set");
  take("_buffers", np instanceof Set ? np : undefined);
  for (const [k, sub] of a.get("_modules") as Map<unknown, unknown>) {
    if (sub === null) continue;
    const name = `${prefix}${String(k)}`;
    if (!isModule(sub)) {
      throw new TorchCheckpointError(
        `Cannot build state_dict: submodule "${name}" is ${describe(sub)}, not an nn.Module`,
      );
    }
    walkModule(sub as PyObject, `${name}.`, out, params, path, depth + 1, count);
  }
  path.delete(m);
}

function namesList(v: unknown): string[] | undefined {
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return [...v];
  if (v instanceof Map) {
    const out: string[] = [];
    for (let i = 0; i < v.size; i++) {
      const x = v.get(i);
      if (typeof x !== "string") return undefined;
      out.push(x);
    }
    return out;
  }
  return undefined;
}

/**
 * The `state_dict()` of a checkpoint (or of any unpickled tree) with official names, plus the model configuration.
 *
 * Accepts training / converted checkpoints (`{'model': DetectionModel, 'ema': ..., ...}`; `ema` is taken with
 * `opts.ema` when present and not None), a whole pickled model, `{'state_dict': ...}` and plain state dicts.
 */
export function stateDictFromCheckpoint(
  ckpt: TorchCheckpoint | unknown,
  opts: StateDictOptions = {},
): CheckpointStateDict {
  const root = ckpt instanceof TorchCheckpoint ? ckpt.root : ckpt;
  const src = ckpt instanceof TorchCheckpoint ? ckpt.source : "<tree>";
  const fail = (w: string): never => {
    throw new TorchCheckpointError(`Cannot get the weights of ${src}: ${w}`);
  };
  let picked: unknown = root;
  let from = "root";
  if (root instanceof Map && !isTensorDict(root)) {
    const has = (k: string) => root.get(k) !== undefined && root.get(k) !== null;
    if (opts.ema && has("ema")) from = "ema";
    else if (has("model")) from = "model";
    else if (has("ema")) from = "ema";
    else if (has("state_dict")) from = "state_dict";
    else if (has("model_state_dict")) from = "model_state_dict";
    else {fail(
        `no "model", "ema" or "state_dict" entry (keys: ${
          [...root.keys()].map(String).slice(0, 20).join(", ")
        })`,
      );}
    picked = root.get(from);
  }
  const tensors = new Map<string, TorchTensor>();
  const parameters = new Set<string>();
  const out: CheckpointStateDict = { tensors: new Map(), parameters, from };
  if (picked instanceof PyObject) {
    if (!isModule(picked)) fail(`"${from}" is a ${picked.qualname} record, not an nn.Module`);
    walkModule(picked, "", tensors as Map<string, RawTensor>, parameters, new Set(), 0, { n: 0 });
    out.modelClass = picked.qualname;
    const yaml = picked.get("yaml");
    if (yaml instanceof Map) out.yaml = toPlain(yaml) as Record<string, unknown>;
    const yf = picked.get("yaml_file");
    if (typeof yf === "string") out.yamlFile = yf;
    const nc = picked.get("nc") ?? out.yaml?.nc;
    if (typeof nc === "number") out.nc = nc;
    const names = namesList(picked.get("names")) ?? namesList(out.yaml?.names);
    if (names) out.names = names;
    const stride = picked.get("stride");
    if (stride instanceof TorchTensor && stride.numel <= 16) {
      out.stride = [...stride.toRaw().data].map(Number);
    }
  } else if (picked instanceof Map) {
    for (const [k, t] of picked) {
      if (t instanceof TorchTensor) {
        tensors.set(String(k), t);
        if (t.isParameter) parameters.add(String(k));
      }
    }
    if (tensors.size === 0) fail(`"${from}" holds no tensors`);
  } else {
    fail(`"${from}" is ${describe(picked)}, neither a model nor a state dict`);
  }
  if (root instanceof Map && !out.yaml) Object.assign(out, plainCheckpointInfo(root, src));
  for (const [k, t] of tensors) out.tensors.set(k, t.toRaw());
  return out;
}

/** Config and names stored as plain data beside state_dicts (`yaml` as YAML text, `names`), as `deno task export` writes. */
function plainCheckpointInfo(root: Map<unknown, unknown>, src: string): Partial<CheckpointStateDict> {
  const info: Partial<CheckpointStateDict> = {};
  const text = root.get("yaml");
  if (typeof text === "string") {
    let yaml: unknown;
    try {
      yaml = parseYaml(text);
    } catch (e) {
      throw new TorchCheckpointError(`Cannot read the "yaml" entry of ${src}: ${(e as Error).message.split("\n")[0]}`);
    }
    if (yaml && typeof yaml === "object" && !Array.isArray(yaml)) info.yaml = yaml as Record<string, unknown>;
    if (typeof info.yaml?.nc === "number") info.nc = info.yaml.nc;
  }
  const names = namesList(root.get("names"));
  if (names) info.names = names;
  return info;
}

function isTensorDict(m: Map<unknown, unknown>): boolean {
  if (m.size === 0) return false;
  for (const v of m.values()) if (!(v instanceof TorchTensor)) return false;
  return true;
}
