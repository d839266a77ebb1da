/**
 * One loader for every `--weights` argument: PyTorch checkpoints (`.pt`, zip or legacy, read safely by
 * `torch/mod.ts`) and safetensors files. The format is recognised from the bytes, not the file name.
 *
 * @example Usage
 * ```ts
 * import { loadWeightsFile } from "./weights_file.ts";
 * const w = await loadWeightsFile("yolov9-c.pt", { ema: true });
 * console.log(w.format, w.tensors.size, w.yaml?.backbone !== undefined, w.nc);
 * ```
 * @module
 */
import type { RawTensor } from "./raw_tensor.ts";
import { parseSafetensors } from "./safetensors.ts";
import { readTorchCheckpoint, type ReadTorchOptions, stateDictFromCheckpoint } from "./torch/mod.ts";
import { isZip } from "./zip/mod.ts";

/** Options of {@link loadWeightsFile}. */
export interface LoadWeightsOptions {
  /** For `.pt` checkpoints: take `ema` when present and not None (default: `model`). */
  ema?: boolean;
  /** For `.pt` checkpoints: extra module names whose globals may be loaded as inert records. */
  allowModules?: readonly string[];
  /** For `.pt` checkpoints: largest materialised size of one tensor, in bytes. */
  maxTensorBytes?: number;
}

/** Weights with the official names plus what the file says about the model. */
export interface WeightsFile {
  /** Which container the file was. */
  format: "pt" | "safetensors";
  /** Tensors with the official state_dict names. */
  tensors: Map<string, RawTensor>;
  /**
   * String metadata: the safetensors `__metadata__` as stored; for `.pt` files the same keys `convert` writes
   * (`format`, `source`, `model_yaml`, `config`, `nc`, `names`, `stride`).
   */
  metadata: Record<string, string>;
  /** The model configuration (yaml as a dict), from the checkpoint or the `model_yaml` metadata. */
  yaml?: Record<string, unknown>;
  /** Number of classes, when known. */
  nc?: number;
  /** Class names, when known. */
  names?: string[];
  /** For `.pt` files: which object the weights came from (`model`, `ema`, `state_dict`, `root`). */
  from?: string;
  /** For `.pt` files: names of the tensors that are parameters (the rest are buffers). */
  parameters?: Set<string>;
}

/** The metadata `convert` writes for a checkpoint's weights (all values strings). */
export function checkpointMetadata(
  info: {
    yaml?: Record<string, unknown>;
    yamlFile?: string;
    nc?: number;
    names?: string[];
    stride?: number[];
    from?: string;
  },
  source: string,
): Record<string, string> {
  const md: Record<string, string> = { format: "pt", source: info.from ? `${source}:${info.from}` : source };
  if (info.yaml) md.model_yaml = JSON.stringify(info.yaml);
  if (info.yamlFile) md.config = info.yamlFile;
  if (info.nc !== undefined) md.nc = String(info.nc);
  if (info.names) md.names = JSON.stringify(info.names);
  if (info.stride) md.stride = JSON.stringify(info.stride);
  return md;
}

/** A safetensors start: a header length below 4 GiB followed by '{' (a length past the end is a truncated file). */
function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 9) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return n > 0n && n < 2n ** 32n && bytes[8] === 0x7b; // '{'
}

function parseJson(s: string | undefined): unknown {
  if (s === undefined) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/**
 * Load weights from bytes (see {@link loadWeightsFile}); `source` names the file in messages.
 */
export async function loadWeightsBytes(
  bytes: Uint8Array,
  source: string,
  opts: LoadWeightsOptions = {},
): Promise<WeightsFile> {
  if (!isSafetensors(bytes) && (isZip(bytes) || bytes[0] === 0x80)) {
    const ropts: ReadTorchOptions = { allowModules: opts.allowModules, maxTensorBytes: opts.maxTensorBytes };
    const ckpt = await readTorchCheckpoint(bytes, source, ropts);
    const sd = stateDictFromCheckpoint(ckpt, { ema: opts.ema });
    const base = source.split(/[\\/]/).pop() ?? source;
    return {
      format: "pt",
      tensors: sd.tensors,
      metadata: checkpointMetadata(sd, base),
      ...(sd.yaml ? { yaml: sd.yaml } : {}),
      ...(sd.nc !== undefined ? { nc: sd.nc } : {}),
      ...(sd.names ? { names: sd.names } : {}),
      from: sd.from,
      parameters: sd.parameters,
    };
  }
  if (!isSafetensors(bytes)) {
    const head = [...bytes.subarray(0, 8)].map((x) => x.toString(16).padStart(2, "0")).join(" ");
    throw new SyntaxError(
      `Cannot load weights ${source}: unknown format (first bytes ${head}); expected a .pt checkpoint or safetensors`,
    );
  }
  const { tensors, metadata } = parseSafetensors(bytes, source);
  const out: WeightsFile = { format: "safetensors", tensors, metadata };
  const yaml = parseJson(metadata.model_yaml);
  if (yaml && typeof yaml === "object" && !Array.isArray(yaml)) out.yaml = yaml as Record<string, unknown>;
  const nc = Number(metadata.nc ?? (out.yaml?.nc as number | undefined));
  if (Number.isInteger(nc) && nc > 0) out.nc = nc;
  const names = parseJson(metadata.names);
  if (Array.isArray(names) && names.every((x) => typeof x === "string")) out.names = names;
  return out;
}

/**
 * Load a weights file given to `--weights`: a PyTorch checkpoint (read without executing anything from it) or a
 * safetensors file. Returns the tensors with official names and the model configuration when the file has one.
 *
 * @param path The file.
 * @param opts See {@link LoadWeightsOptions}.
 * @returns The weights.
 */
export async function loadWeightsFile(path: string, opts: LoadWeightsOptions = {}): Promise<WeightsFile> {
  return await loadWeightsBytes(await Deno.readFile(path), path, opts);
}
