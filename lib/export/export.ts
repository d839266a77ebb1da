/**
 * `deno task export` as a pure function: a loaded model in, the bytes of one file out.
 * - `onnx`: the fused inference graph (`onnx_model.ts`), auxiliary branch removed.
 * - `pt`: a `torch.load(weights_only=True)`-loadable checkpoint of official state_dicts (`torch_pt.ts`); the
 *   unfused structure the official `Model` has (so `fuse` is refused); the auxiliary branch is removed unless
 *   `keepAux` (keep it to go on training with PGI in the official code).
 * - `safetensors`: this library's model file (config in metadata), optionally fused.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Tree } from "../nn/tree.ts";
import type { ModelSpec } from "../graph/spec.ts";
import { configToYaml } from "../graph/config.ts";
import { modelFileMetadata } from "../models/load.ts";
import { disposeWeights, stateDictFromWeights } from "../graph/weights.ts";
import { serializeSafetensors } from "../io/safetensors.ts";
import { inferenceModel } from "./inference.ts";
import { exportOnnx } from "./onnx_model.ts";
import type { NmsGraphOptions } from "./onnx_nms.ts";
import { torchCheckpointBytes } from "./torch_pt.ts";

/** The export formats. */
export const EXPORT_FORMATS = ["onnx", "pt", "safetensors"] as const;

/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = typeof EXPORT_FORMATS[number];

/** Options of {@link exportModel}. */
export interface ExportOptions {
  format: ExportFormat;
  /** ONNX image size [height, width] (default 640 x 640). */
  img?: [number, number];
  /** ONNX fixed batch size (default 1). */
  batch?: number;
  /** Fold BatchNorm and RepConvN (always for ONNX; refused for pt). */
  fuse?: boolean;
  /** ONNX: symbolic batch, height and width. */
  dynamic?: boolean;
  /** ONNX: End2End NMS with these thresholds. */
  nms?: NmsGraphOptions;
  /** pt / safetensors: keep a PGI model's auxiliary branch (default: removed). */
  keepAux?: boolean;
  /** pt: `epoch` (default -1, as official final checkpoints) and `best_fitness` (default None). */
  epoch?: number;
  bestFitness?: number | null;
  /** Class names, stored with the model. */
  names?: string[];
  /** Where the weights came from (metadata). */
  source?: string;
}

/** What {@link exportModel} made. */
export interface ExportResult {
  bytes: Uint8Array;
  /** The exported model's graph (after removing the auxiliary branch). */
  spec: ModelSpec;
  fused: boolean;
  stripped: boolean;
}

/** Check a format name; the error lists the known ones. */
export function parseFormat(name: string | undefined): ExportFormat {
  if (!(EXPORT_FORMATS as readonly string[]).includes(name ?? "")) {
    throw new RangeError(
      `Cannot export: unknown --format ${JSON.stringify(name ?? "")}, expected ${EXPORT_FORMATS.join(", ")}`,
    );
  }
  return name as ExportFormat;
}

/** Export a model (`fused`: its weights are already fused) to the bytes of one file. */
export function exportModel(
  model: { spec: ModelSpec; weights: Tree<tf.Tensor>; fused: boolean },
  o: ExportOptions,
): ExportResult {
  const format = parseFormat(o.format);
  if (format === "pt" && (o.fuse || model.fused)) {
    throw new RangeError(
      "Cannot export fused weights to pt: the official checkpoint layout is unfused (drop --fuse)",
    );
  }
  if (format !== "onnx" && (o.nms || o.dynamic)) {
    throw new RangeError(`Cannot export to ${format}: --nms and --dynamic are ONNX options`);
  }
  if (format === "onnx" && o.keepAux) {
    throw new RangeError(
      "Cannot export to onnx with --keep-aux: the ONNX graph is the main branch (pt / safetensors only)",
    );
  }
  const keepAux = !!o.keepAux;
  const inf = inferenceModel(model.spec, model.weights, {
    fused: model.fused,
    fuse: format === "onnx" || !!o.fuse,
    keepAux,
  });
  const spec = inf.spec;
  const metadata: Record<string, string> = {
    ...(o.names ? { names: JSON.stringify(o.names) } : {}),
    ...(o.source ? { source: o.source } : {}),
  };
  try {
    let bytes: Uint8Array;
    if (format === "onnx") {
      bytes = exportOnnx(spec, inf.weights, {
        img: o.img ?? [640, 640],
        batch: o.batch,
        dynamic: o.dynamic,
        nms: o.nms,
        metadata,
      });
    } else if (format === "pt") {
      const sd = stateDictFromWeights(inf.weights);
      const yaml = configToYaml({ ...spec.config, nc: spec.nc });
      bytes = torchCheckpointBytes({
        model: sd,
        ema: sd,
        epoch: o.epoch ?? -1,
        bestFitness: o.bestFitness ?? null,
        yaml,
        names: o.names,
      });
    } else {
      bytes = serializeSafetensors(
        stateDictFromWeights(inf.weights),
        modelFileMetadata(spec, { fused: inf.fused, metadata }),
      );
    }
    return { bytes, spec, fused: inf.fused, stripped: inf.stripped };
  } finally {
    if (inf.weights !== model.weights) disposeWeights(inf.weights, model.weights);
  }
}
