/**
 * Golden `forward` cases: a model built from its official config, loaded with the case's weights,
 * run in eval mode on the stored input; every stored output (decoded, raw per level and branch,
 * per-layer dumps) compared within 2e-5 x max|ref|.
 * @module
 */
import { readSafetensors } from "../io/safetensors.ts";
import { loadModelConfig } from "../models/shipped.ts";
import { buildModelSpec } from "../models/build.ts";
import { disposeWeights, expectedKeys, weightsFromStateDict } from "../graph/weights.ts";
import { compareModelOutputs } from "./compare_model.ts";
import { loadCaseWeights } from "./weights.ts";
import type { CaseReport } from "./types.ts";

/** Model description of a golden sidecar. */
export interface GoldenModel {
  name: string;
  config?: string;
  nc: number;
  weights: { files: string[] };
}

/** Build a golden model description's spec and weights. */
export async function loadGoldenModel(dir: string, m: GoldenModel) {
  const spec = buildModelSpec(await loadModelConfig(m.config ?? m.name), { nc: m.nc });
  const weights = weightsFromStateDict(spec, await loadCaseWeights(dir, m.weights.files, new Set(expectedKeys(spec).keys())), { source: m.weights.files.join(" + ") });
  return { spec, weights };
}

/** Run one forward case. */
export async function runForwardCase(dir: string, stem: string, sidecar: Record<string, unknown>): Promise<CaseReport> {
  const { spec, weights } = await loadGoldenModel(dir, sidecar.model as GoldenModel);
  const refs = (await readSafetensors(`${dir}/${stem}.safetensors`)).tensors;
  const checks = await compareModelOutputs(spec, weights, refs.get("input")!, refs, { prefix: "out.", layers: true });
  disposeWeights(weights);
  return { case: "forward", stem, checks };
}
