/**
 * Golden `reparameterization` cases: a trained YOLOv9 (dual) model is stripped of its auxiliary
 * branch with {@link stripAuxModel}; checked are the key mapping against the reference's renamed
 * keys, the converted weights against the reference's converted weights (bit for bit), and the
 * outputs of the dual model, the converted model and the fused converted model.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { readSafetensors } from "../io/safetensors.ts";
import { toFloat32 } from "../io/raw_tensor.ts";
import { flattenTree } from "../nn/tree.ts";
import { loadModelConfig } from "../models/shipped.ts";
import { buildModelSpec } from "../models/build.ts";
import { fuseWeights } from "../graph/fuse.ts";
import { disposeWeights, expectedKeys } from "../graph/weights.ts";
import { stripAuxModel } from "../pgi/strip_aux.ts";
import { compareModelOutputs } from "./compare_model.ts";
import { type GoldenModel, loadGoldenModel } from "./forward.ts";
import { loadCaseWeights } from "./weights.ts";
import { type CaseReport, check, type TensorCheck } from "./types.ts";

/** Run one reparameterization case. */
export async function runReparamCase(dir: string, stem: string, sidecar: Record<string, unknown>): Promise<CaseReport> {
  const dual = await loadGoldenModel(dir, sidecar.dual_model as GoldenModel);
  const conv = sidecar.converted_model as GoldenModel & { renamed_gelan_key_to_dual_key?: Record<string, string>; n_identity_keys?: number };
  const stripped = stripAuxModel(dual.spec, dual.weights);
  const checks: TensorCheck[] = [];

  // Key mapping: renamed keys exactly as the reference, every other key kept under its own name.
  const renamed = [...stripped.keyMap].filter(([k, old]) => k !== old);
  const refRenamed = Object.entries(conv.renamed_gelan_key_to_dual_key ?? {});
  const sameRenames = renamed.length === refRenamed.length && refRenamed.every(([k, old]) => stripped.keyMap.get(k) === old);
  checks.push(check("keys.renamed", sameRenames ? 0 : 1, 0, `${renamed.length} renamed, reference ${refRenamed.length}`));
  if (conv.n_identity_keys !== undefined) {
    const ident = stripped.keyMap.size - renamed.length;
    checks.push(check("keys.identity", Math.abs(ident - conv.n_identity_keys), 0, `${ident} identity keys`));
  }

  // The stripped configuration equals the official inference config, and the weights the reference's.
  const official = buildModelSpec(await loadModelConfig(conv.config ?? conv.name), { nc: conv.nc });
  const graph = (s: typeof official) => JSON.stringify(s.layers.map((l) => [l.from, l.module, l.args]));
  checks.push(check("config.layers", graph(official) === graph(stripped.spec) ? 0 : 1, 0));
  const ref = await loadCaseWeights(dir, conv.weights.files, new Set(expectedKeys(official).keys()));
  let worst = 0;
  for (const [k, t] of flattenTree(stripped.weights)) {
    const r = ref.get(k);
    if (!r) {
      worst = Infinity;
      continue;
    }
    const ours = t.rank === 4 ? tf.tidy(() => tf.transpose(t, [3, 2, 0, 1])) : t;
    const a = await ours.data();
    const e = toFloat32(r);
    for (let i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i] - e[i]));
    if (ours !== t) ours.dispose();
  }
  checks.push(check("weights.converted", worst, 0, "max |ours - reference| over all converted tensors"));

  const refs = (await readSafetensors(`${dir}/${stem}.safetensors`)).tensors;
  const input = refs.get("input")!;
  checks.push(...await compareModelOutputs(dual.spec, dual.weights, input, refs, { prefix: "dual.out." }));
  checks.push(...await compareModelOutputs(stripped.spec, stripped.weights, input, refs, { prefix: "converted.out." }));
  const fused = fuseWeights(stripped.weights);
  checks.push(...await compareModelOutputs(stripped.spec, fused, input, refs, { prefix: "converted_fused.out.", tol: 1e-4 }));
  disposeWeights(fused, dual.weights); // fuseWeights shares unfolded leaves (DFL) with its input
  disposeWeights(dual.weights);
  return { case: "reparameterization", stem, checks };
}
