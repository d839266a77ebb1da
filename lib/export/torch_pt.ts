/**
 * PyTorch checkpoints (`.pt`) in the zip format `torch.save` writes (`archive/data.pkl`, `archive/data/<key>`,
 * `archive/version`, `archive/byteorder`), holding only plain data so that `torch.load(path, weights_only=True)`
 * accepts them: `{'model': state_dict, 'ema': state_dict, 'epoch': int, 'best_fitness': 0-d float64 tensor or
 * None, 'yaml': the model config as YAML text[, 'names': [...]]}`; state_dicts are `OrderedDict`s of tensors under
 * the official names (`model.0.conv.weight`, ...), rebuilt with `torch._utils._rebuild_tensor_v2`. Load one into
 * the official code with `Model(yaml.safe_load(ckpt['yaml'])).load_state_dict(ckpt['model'])`.
 * @module
 */
import type { DType, RawTensor } from "../io/raw_tensor.ts";
import {
  PickleCall,
  PickleGlobal,
  PickleOrderedDict,
  PicklePersistent,
  PickleTuple,
  type PickleValue,
  pickleValue,
} from "./pickle_writer.ts";
import { type ZipEntryInput, zipStored } from "./zip_writer.ts";

/** What a checkpoint holds. */
export interface TorchCheckpointInput {
  model: Map<string, RawTensor>;
  /** The EMA weights; the same map as `model` stores each tensor once. */
  ema: Map<string, RawTensor> | null;
  epoch: number;
  bestFitness: number | null;
  /** The model configuration as YAML text. */
  yaml: string;
  names?: string[];
}

const STORAGE: Record<DType, string> = {
  F64: "DoubleStorage",
  F32: "FloatStorage",
  F16: "HalfStorage",
  BF16: "BFloat16Storage",
  I64: "LongStorage",
  I32: "IntStorage",
  I16: "ShortStorage",
  I8: "CharStorage",
  U8: "ByteStorage",
  BOOL: "BoolStorage",
};

function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i];
  }
  return out;
}

/** The bytes of a `.pt` checkpoint (see the module doc). */
export function torchCheckpointBytes(c: TorchCheckpointInput): Uint8Array {
  if (!Number.isSafeInteger(c.epoch)) {
    throw new TypeError(`Cannot write a checkpoint: epoch must be an integer, got ${c.epoch}`);
  }
  const records: ZipEntryInput[] = [];
  const keys = new Map<RawTensor, string>();
  const tensor = (t: RawTensor): PickleValue => {
    let key = keys.get(t);
    if (key === undefined) {
      key = String(keys.size);
      keys.set(t, key);
      const d = t.data;
      records.push({
        name: `archive/data/${key}`,
        data: new Uint8Array(d.buffer, d.byteOffset, d.byteLength),
      });
    }
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const storage = new PicklePersistent(
      new PickleTuple(["storage", new PickleGlobal("torch", STORAGE[t.dtype]), key, "cpu", numel]),
    );
    return new PickleCall("torch._utils", "_rebuild_tensor_v2", [
      storage,
      0,
      new PickleTuple([...t.shape]),
      new PickleTuple(strides(t.shape)),
      false,
      new PickleOrderedDict(new Map()),
    ]);
  };
  const stateDict = (sd: Map<string, RawTensor>) =>
    new PickleOrderedDict(new Map([...sd].map(([k, t]) => [k, tensor(t)])));
  const root = new Map<string, PickleValue>([
    ["model", stateDict(c.model)],
    ["ema", c.ema ? stateDict(c.ema) : null],
    ["epoch", c.epoch],
    [
      "best_fitness",
      c.bestFitness === null
        ? null
        : tensor({ dtype: "F64", shape: [], data: Float64Array.of(c.bestFitness) }),
    ],
    ["yaml", c.yaml],
  ]);
  if (c.names) root.set("names", [...c.names]);
  const enc = new TextEncoder();
  return zipStored([
    { name: "archive/data.pkl", data: pickleValue(root) },
    { name: "archive/byteorder", data: enc.encode("little") },
    ...records,
    { name: "archive/version", data: enc.encode("3\n") },
  ]);
}
