/**
 * Loading the weights a golden case names: `{"files": [...]}` relative to the case folder. Files
 * are combined per layer: each `model.<i>.` prefix is taken from the last file that has any key
 * with that prefix (so a head file overrides a body file's layer of the same index); keys the model
 * does not have are left out, as the cases' rules say.
 * @module
 */
import { readSafetensors } from "../io/safetensors.ts";
import type { RawTensor } from "../io/raw_tensor.ts";

function layerOf(key: string): string {
  const m = /^model\.(\d+)\./.exec(key);
  return m ? m[1] : key;
}

/** Read and combine the weight files of a golden case, keeping the keys the model expects. */
export async function loadCaseWeights(dir: string, files: string[], expected: Set<string>): Promise<Map<string, RawTensor>> {
  const maps = await Promise.all(files.map(async (f) => (await readSafetensors(`${dir}/${f}`)).tensors));
  const owner = new Map<string, number>();
  maps.forEach((m, i) => {
    for (const k of m.keys()) owner.set(layerOf(k), i);
  });
  const out = new Map<string, RawTensor>();
  maps.forEach((m, i) => {
    for (const [k, t] of m) if (owner.get(layerOf(k)) === i && expected.has(k)) out.set(k, t);
  });
  return out;
}
