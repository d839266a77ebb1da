/**
 * The torch globals of the object pickle, as pickle handlers: tensors (`torch._utils._rebuild_tensor` / `_v2` /
 * `_v3`), parameters (`_rebuild_parameter`, `_with_state`), tensor subclasses
 * (`torch._tensor._rebuild_from_type` / `_v2`) and `torch.Size`. Each tensor is checked against its storage when
 * it is built.
 * @module
 */
import type { DType } from "../raw_tensor.ts";
import { describe, type GlobalHandler, PyGlobal, PyObject } from "../pickle/mod.ts";
import { readFailure } from "./errors.ts";
import { TorchStorage } from "./storage.ts";
import { TorchTensor } from "./tensor.ts";

/** Tensor dtypes (`torch.<name>`) as used by `_rebuild_tensor_v3`. */
const TORCH_DTYPES: Readonly<Record<string, DType>> = {
  float16: "F16",
  half: "F16",
  float32: "F32",
  float: "F32",
  float64: "F64",
  double: "F64",
  bfloat16: "BF16",
  int64: "I64",
  long: "I64",
  int32: "I32",
  int: "I32",
  int16: "I16",
  short: "I16",
  int8: "I8",
  uint8: "U8",
  bool: "BOOL",
};

function asInt(v: unknown, what: () => string, fail: (w: string) => never): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    fail(`${what()} is ${describe(v)} ${String(v)}, not a size`);
  }
  return v as number;
}

function dims(v: unknown, what: () => string, fail: (w: string) => never): number[] {
  if (!Array.isArray(v)) fail(`${what()} is ${describe(v)}, not a tuple`);
  if ((v as unknown[]).length > 64) fail(`${what()} has ${(v as unknown[]).length} dimensions`);
  return (v as unknown[]).map((x) => asInt(x, what, fail));
}

/** Handlers for the torch globals of `source`'s object pickle; no tensor may materialise to more than `maxBytes`. */
export function torchHandlers(source: string, maxBytes: number): Record<string, GlobalHandler> {
  const fail = readFailure(source);
  const tensor = (
    storage: unknown,
    offset: unknown,
    size: unknown,
    stride: unknown,
    dtype?: DType,
  ): TorchTensor => {
    if (!(storage instanceof TorchStorage)) {
      return fail(`tensor storage is ${describe(storage)}, not a storage`);
    }
    const shape = dims(size, () => "tensor size", fail);
    const strides = dims(stride, () => "tensor stride", fail);
    if (strides.length !== shape.length) {
      fail(`tensor size [${shape}] and stride [${strides}] differ in length`);
    }
    const t = new TorchTensor(
      dtype ?? storage.dtype,
      shape,
      strides,
      asInt(offset, () => "storage offset", fail),
      storage,
    );
    t.check(maxBytes, () => `Cannot read checkpoint ${source}`);
    storage.usedBytes = Math.max(storage.usedBytes, t.extentBytes);
    return t;
  };
  const v2: GlobalHandler = (a) => {
    const t = tensor(a[0], a[1], a[2], a[3]);
    t.requiresGrad = a[4] === true;
    return t;
  };
  const parameter = (a: unknown[]) => {
    const t = a[0];
    if (!(t instanceof TorchTensor)) return new PyObject("torch._utils", "_rebuild_parameter", a, "reduce");
    t.isParameter = true;
    t.requiresGrad = a[1] === true;
    if (a.length > 3) t.pyState = a[3];
    return t;
  };
  const fromType: GlobalHandler = (a) => {
    const [func, type, args, state] = a;
    if (!(func instanceof PyGlobal) || !Array.isArray(args)) {
      return fail(`_rebuild_from_type with ${describe(func)}`);
    }
    const f = handlers[func.qualname];
    const v = f ? f(args) : new PyObject(func.module, func.name, args, "reduce");
    if (v instanceof TorchTensor) {
      if (type instanceof PyGlobal && type.name === "Parameter") v.isParameter = true;
      if (state !== null && state !== undefined && !(state instanceof Map && state.size === 0)) {
        v.pyState = state;
      }
    }
    return v;
  };
  const handlers: Record<string, GlobalHandler> = {
    "torch._utils._rebuild_tensor_v2": v2,
    "torch._utils._rebuild_tensor": (a) => tensor(a[0], a[1], a[2], a[3]),
    "torch._utils._rebuild_tensor_v3": (a) => {
      const dt = a[6];
      const dtype = dt instanceof PyGlobal && dt.module === "torch" ? TORCH_DTYPES[dt.name] : undefined;
      if (!dtype) return fail(`tensor dtype ${describe(dt)} is not supported`);
      const t = tensor(a[0], a[1], a[2], a[3], dtype);
      t.requiresGrad = a[4] === true;
      return t;
    },
    "torch._utils._rebuild_parameter": parameter,
    "torch._utils._rebuild_parameter_with_state": parameter,
    "torch._tensor._rebuild_from_type_v2": fromType,
    "torch._tensor._rebuild_from_type": fromType,
    "torch.Size": (a) => (a.length ? dims(a[0], () => "torch.Size", fail) : []),
  };
  return handlers;
}
