/**
 * Golden case 7 (`checkpoint`): load the official-format checkpoint named by the sidecar (`pt_file`) with the safe
 * `.pt` reader and return its state dict, the recovered model yaml and the stem of the expected-output file.
 * The caller builds the model from `yaml`, loads `tensors`, runs `input` and compares `out.*` (and, fused,
 * `fused.out.*`) with `<stem>.safetensors` at the forward tolerance.
 * @module
 */
import type { RawTensor } from "../io/raw_tensor.ts";
import { readTorchCheckpoint, stateDictFromCheckpoint } from "../io/torch/mod.ts";

/** What {@link loadGoldenCheckpoint} returns. */
export interface GoldenCheckpoint {
  /** `ckpt['model'].state_dict()` with the official names (float16 / int64 as stored). */
  tensors: Map<string, RawTensor>;
  /** The model configuration stored in the checkpoint (`DetectionModel.yaml`). */
  yaml?: Record<string, unknown>;
  /** Number of classes stored in the checkpoint. */
  nc?: number;
  /** Stem of the expected-output files (`<stem>.safetensors`), e.g. `checkpoint_yolov9-t-random_expected`. */
  stem: string;
}

/**
 * Read the checkpoint of the `checkpoint` golden case.
 *
 * @param dir The golden folder.
 * @param sidecar The case's parsed JSON (`pt_file`, `safetensors`).
 * @returns The state dict, yaml and expected-output stem.
 */
export async function loadGoldenCheckpoint(
  dir: string,
  sidecar: Record<string, unknown>,
): Promise<GoldenCheckpoint> {
  const pt = String(sidecar.pt_file ?? "yolov9-t-random.pt");
  const expected = String(sidecar.safetensors ?? "checkpoint_yolov9-t-random_expected.safetensors");
  const ckpt = await readTorchCheckpoint(await Deno.readFile(`${dir}/${pt}`), pt);
  const sd = stateDictFromCheckpoint(ckpt);
  return {
    tensors: sd.tensors,
    ...(sd.yaml ? { yaml: sd.yaml } : {}),
    ...(sd.nc !== undefined ? { nc: sd.nc } : {}),
    stem: expected.replace(/\.safetensors$/, ""),
  };
}
