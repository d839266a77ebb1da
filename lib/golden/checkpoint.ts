/**
 * Golden `checkpoint` cases: an official-format `.pt` checkpoint is read (safely, nothing executed),
 * its model configuration recovered from the checkpoint itself, and its eval outputs (unfused, and
 * fused as `attempt_load` does) compared with the reference. Also: the state_dict equals the
 * reference safetensors bit for bit when the case names one.
 * @module
 */
import { readSafetensors } from "../io/safetensors.ts";
import { loadModel } from "../models/load.ts";
import { fuseWeights } from "../graph/fuse.ts";
import { disposeWeights } from "../graph/weights.ts";
import { loadWeightsFile } from "../io/weights_file.ts";
import { compareModelOutputs } from "./compare_model.ts";
import { type CaseReport, check, type TensorCheck } from "./types.ts";

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.every((v, i) => v === y[i]);
}

/** Run one checkpoint case. */
export async function runCheckpointCase(dir: string, stem: string, sidecar: Record<string, unknown>): Promise<CaseReport> {
  const pt = `${dir}/${sidecar.pt_file}`;
  const checks: TensorCheck[] = [];
  if (typeof sidecar.weights_safetensors === "string") {
    const ours = (await loadWeightsFile(pt)).tensors;
    const ref = (await readSafetensors(`${dir}/${sidecar.weights_safetensors}`)).tensors;
    const differ = [...ref].filter(([k, t]) => !ours.has(k) || ours.get(k)!.dtype !== t.dtype || !sameBytes(ours.get(k)!.data, t.data));
    const extra = [...ours.keys()].filter((k) => !ref.has(k));
    checks.push(check("state_dict", differ.length + extra.length, 0, `${ours.size} keys; differing ${differ.slice(0, 3).map(([k]) => k)}; extra ${extra.slice(0, 3)}`));
  }
  const model = await loadModel(pt);
  const refs = (await readSafetensors(`${dir}/${stem}.safetensors`)).tensors;
  const input = refs.get("input")!;
  checks.push(...await compareModelOutputs(model.spec, model.weights, input, refs, { prefix: "out." }));
  const fused = fuseWeights(model.weights);
  checks.push(...await compareModelOutputs(model.spec, fused, input, refs, { prefix: "fused.out.", tol: 1e-4 }));
  disposeWeights(fused, model.weights);
  disposeWeights(model.weights);
  return { case: "checkpoint", stem, checks };
}
