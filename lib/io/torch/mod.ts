/**
 * PyTorch checkpoints (`.pt`, `torch.save`) read directly and safely: nothing from the file is ever called,
 * evaluated or imported.
 *
 * Two container formats are read:
 * - **zip** (torch >= 1.6): `<prefix>/data.pkl` (the object pickle), `<prefix>/data/<key>` (raw storages),
 *   `<prefix>/version`, and from newer torch `<prefix>/byteorder`; the prefix is `archive` or the file stem.
 * - **legacy** (`_use_new_zipfile_serialization=False`, torch < 1.6): a magic-number pickle, a protocol-version
 *   pickle, a sys-info pickle, the object pickle, the list of storage keys, then each storage as an 8-byte
 *   little-endian element count followed by its little-endian bytes.
 * TorchScript archives (`torch.jit.save`) and the pre-0.4 tar format are refused with a message saying so.
 *
 * The object pickle goes through the safe interpreter of `../pickle/mod.ts` (see its policy); this module adds the torch
 * globals: `torch._utils._rebuild_tensor_v2` / `_rebuild_tensor` / `_rebuild_tensor_v3`, `_rebuild_parameter`
 * (`_with_state`), `torch._tensor._rebuild_from_type_v2`, `torch.Size`, and storages of every dtype through
 * persistent ids. Tensors become {@link TorchTensor}s (a {@link RawTensor} whose row-major `data` is copied out of
 * the storage on first use, honouring storage offset and strides). Every tensor's extent is checked against its
 * storage and every storage against its record when the file is read.
 *
 * {@link stateDictFromCheckpoint} then gives the `state_dict()` with the official names, walking the module
 * records' `_parameters`, `_buffers` and `_modules`, plus the model yaml (`DetectionModel.yaml`), `nc`, `names`.
 *
 * @example Usage
 * ```ts
 * import { readTorchCheckpoint, stateDictFromCheckpoint } from "./mod.ts";
 * const ckpt = await readTorchCheckpoint(await Deno.readFile("yolov9-c.pt"), "yolov9-c.pt");
 * const { tensors, yaml, names } = stateDictFromCheckpoint(ckpt, { ema: true });
 * ```
 * @module
 */
export { type ReadTorchOptions, TorchCheckpoint } from "./checkpoint.ts";
export { TorchCheckpointError } from "./errors.ts";
export { readTorchCheckpoint } from "./read.ts";
export { type CheckpointStateDict, stateDictFromCheckpoint, type StateDictOptions } from "./state_dict.ts";
export { STORAGE_DTYPES, TorchStorage } from "./storage.ts";
export { TorchTensor } from "./tensor.ts";
