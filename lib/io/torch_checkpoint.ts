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
 * The object pickle goes through the safe interpreter of `pickle.ts` (see its policy); this module adds the torch
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
 * import { readTorchCheckpoint, stateDictFromCheckpoint } from "./torch_checkpoint.ts";
 * const ckpt = await readTorchCheckpoint(await Deno.readFile("yolov9-c.pt"), "yolov9-c.pt");
 * const { tensors, yaml, names } = stateDictFromCheckpoint(ckpt, { ema: true });
 * ```
 * @module
 */
import { type DType, DTYPE_BYTES, numel, type RawData, type RawTensor } from "./raw_tensor.ts";
import {
  describe,
  type GlobalHandler,
  PickleError,
  PyGlobal,
  PyObject,
  toPlain,
  typedArray,
  unpickleAt,
  type UnpickleOptions,
} from "./pickle.ts";
import { isZip, ZipArchive, type ZipOptions } from "./zip_reader.ts";

/** A checkpoint whose container or content is not acceptable; the message names the file and what is wrong. */
export class TorchCheckpointError extends SyntaxError {
  /** Create the error. */
  constructor(message: string) {
    super(message);
    this.name = "TorchCheckpointError";
  }
}

/** Storage classes (`torch.<Name>`) and the dtype of their elements. */
export const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  HalfStorage: "F16",
  FloatStorage: "F32",
  DoubleStorage: "F64",
  BFloat16Storage: "BF16",
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
  UntypedStorage: "U8",
};

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

/** One storage of the checkpoint: its declared type and size, and (once read) its bytes. */
export class TorchStorage {
  /** The record's bytes (little-endian unless `bigEndian`), set when the checkpoint is read. */
  bytes?: Uint8Array;
  /** True when the record holds big-endian data (`byteorder` = `big`). */
  bigEndian = false;
  /** Create a storage descriptor. */
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
    readonly location: string,
  ) {}
  /** Declared size in bytes. */
  get nbytes(): number {
    return this.numel * DTYPE_BYTES[this.dtype];
  }
}

/**
 * A tensor of the checkpoint: dtype, shape, strides and offset into a {@link TorchStorage}. Its `data` (row-major,
 * contiguous, independent of the file buffer) is materialised on first access and kept.
 */
export class TorchTensor implements RawTensor {
  /** Set for `torch.nn.Parameter`s. */
  isParameter = false;
  /** `requires_grad` as saved. */
  requiresGrad = false;
  /** Python-level state of tensor subclasses / parameters with attributes, if any. */
  pyState?: unknown;
  #data?: RawData;

  /** Create a tensor view; use {@link TorchTensor.check} to validate it against its storage. */
  constructor(
    readonly dtype: DType,
    readonly shape: number[],
    readonly stride: number[],
    readonly storageOffset: number,
    readonly storage: TorchStorage,
  ) {}

  /** Number of elements. */
  get numel(): number {
    return numel(this.shape);
  }

  /** True when the strides are those of a row-major contiguous tensor (size-1 dims ignored). */
  get isContiguous(): boolean {
    let expect = 1;
    for (let d = this.shape.length - 1; d >= 0; d--) {
      if (this.shape[d] !== 1 && this.stride[d] !== expect) return false;
      expect *= this.shape[d];
    }
    return true;
  }

  /** Throws unless the view lies inside its storage and materialises to at most `maxBytes`. */
  check(maxBytes: number, what: () => string): void {
    const n = this.numel;
    const isz = DTYPE_BYTES[this.dtype];
    const storageElems = Math.floor(this.storage.nbytes / isz);
    if (n === 0) return;
    let last = this.storageOffset;
    for (let d = 0; d < this.shape.length; d++) last += (this.shape[d] - 1) * this.stride[d];
    if (last >= storageElems) {
      throw new TorchCheckpointError(
        `${what()}: tensor ${this.dtype}[${this.shape}] (offset ${this.storageOffset}, stride [${this.stride}]) needs ${
          last + 1
        } elements but storage "${this.storage.key}" has ${storageElems}`,
      );
    }
    const bytes = n * isz;
    // Views that expand their storage (stride 0) are capped hard: they are the cheap way to declare a huge tensor.
    const cap = n > storageElems ? Math.min(maxBytes, 64 * 2 ** 20) : maxBytes;
    if (bytes > cap) {
      throw new TorchCheckpointError(
        `${what()}: tensor ${this.dtype}[${this.shape}] would materialise to ${bytes} bytes, more than the limit ${cap}`,
      );
    }
  }

  /** The elements, row-major and contiguous (materialised on first access). */
  get data(): RawData {
    return this.#data ??= this.#materialise();
  }

  /** A plain {@link RawTensor} copy (shape copied, data materialised). */
  toRaw(): RawTensor {
    return { dtype: this.dtype, shape: [...this.shape], data: this.data };
  }

  #materialise(): RawData {
    const src = this.storage.bytes;
    if (!src) {
      throw new TorchCheckpointError(`Cannot materialise tensor: storage "${this.storage.key}" was not read`);
    }
    const isz = DTYPE_BYTES[this.dtype];
    const n = this.numel;
    const out = new Uint8Array(n * isz);
    if (n > 0) {
      if (this.isContiguous) {
        out.set(src.subarray(this.storageOffset * isz, (this.storageOffset + n) * isz));
      } else {
        const nd = this.shape.length;
        const inner = this.shape[nd - 1];
        const innerStride = this.stride[nd - 1];
        const idx = new Array<number>(nd).fill(0);
        let o = 0;
        for (;;) {
          let base = this.storageOffset;
          for (let d = 0; d < nd - 1; d++) base += idx[d] * this.stride[d];
          if (innerStride === 1) {
            out.set(src.subarray(base * isz, (base + inner) * isz), o);
            o += inner * isz;
          } else {
            for (let j = 0; j < inner; j++) {
              const s = (base + j * innerStride) * isz;
              for (let k = 0; k < isz; k++) out[o++] = src[s + k];
            }
          }
          let d = nd - 2;
          for (; d >= 0; d--) {
            if (++idx[d] < this.shape[d]) break;
            idx[d] = 0;
          }
          if (d < 0) break;
        }
      }
      if (this.storage.bigEndian && isz > 1) {
        for (let i = 0; i < out.length; i += isz) out.subarray(i, i + isz).reverse();
      }
    }
    return typedArray(this.dtype, out);
  }
}

/** Options of {@link readTorchCheckpoint}. */
export interface ReadTorchOptions {
  /** Extra module names whose globals become inert records (see `pickle.ts`). */
  allowModules?: readonly string[];
  /** Largest materialised size of one tensor, in bytes (default 4 GiB). */
  maxTensorBytes?: number;
  /** Options of the zip reader. */
  zip?: ZipOptions;
}

/** A read checkpoint: the inert object tree and facts about the container. */
export class TorchCheckpoint {
  /** Create the result. */
  constructor(
    /** The unpickled object (for training checkpoints a `Map` with `model`, `ema`, `epoch`, ...). */
    readonly root: unknown,
    /** Container format. */
    readonly format: "zip" | "legacy",
    /** File name used in messages. */
    readonly source: string,
    /** Storages by key. */
    readonly storages: Map<string, TorchStorage>,
    /** Globals the object pickle loaded, `module.name`. */
    readonly globals: string[],
    /** Pickle protocol of the object pickle. */
    readonly protocol: number,
    /** Zip prefix (`archive`, the file stem, ...), for zip checkpoints. */
    readonly prefix?: string,
    /** Content of the `version` record (zip) or the legacy protocol version. */
    readonly version?: string,
  ) {}
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

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

function torchHandlers(source: string, maxBytes: number): Record<string, GlobalHandler> {
  const fail = (w: string): never => {
    throw new TorchCheckpointError(`Cannot read checkpoint ${source}: ${w}`);
  };
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

function storageFromPid(
  pid: unknown,
  storages: Map<string, TorchStorage>,
  fail: (w: string) => never,
): { storage: TorchStorage; view?: [string, number, number] } | { module: unknown } {
  if (!Array.isArray(pid) || pid.length < 1) return fail(`persistent id ${describe(pid)} is not a tuple`);
  const [kind, type, key, location, size, view] = pid as unknown[];
  if (kind === "module") return { module: type };
  if (kind !== "storage") return fail(`persistent id of kind ${JSON.stringify(kind)} is not supported`);
  if (!(type instanceof PyGlobal) || type.module !== "torch") {
    return fail(`storage type ${describe(type)} is not a torch storage`);
  }
  const dtype = STORAGE_DTYPES[type.name];
  if (!dtype) return fail(`storage type torch.${type.name} is not supported`);
  if (typeof key !== "string" || !/^[A-Za-z0-9_.-]{1,200}$/.test(key)) {
    return fail(`storage key ${describe(key)} is malformed`);
  }
  const n = typeof size === "number" && Number.isSafeInteger(size) && size >= 0
    ? size
    : fail(`storage "${key}" size ${String(size)} is invalid`);
  let s = storages.get(key);
  if (!s) {
    s = new TorchStorage(key, dtype, n, typeof location === "string" ? location : String(location));
    storages.set(key, s);
  } else if (s.dtype !== dtype || s.numel !== n) {
    return fail(`storage "${key}" is declared twice with different types or sizes`);
  }
  if (Array.isArray(view)) {
    const [vkey, off, vsize] = view as unknown[];
    if (typeof vkey !== "string" || typeof off !== "number" || typeof vsize !== "number") {
      return fail("bad storage view");
    }
    return { storage: s, view: [vkey, off, vsize] };
  }
  return { storage: s };
}

function findPrefix(zip: ZipArchive, source: string): string {
  const pkls = zip.names().filter((n) => /^[^/]+\/data\.pkl$/.test(n) || n === "data.pkl");
  const fail = (w: string): never => {
    throw new TorchCheckpointError(`Cannot read checkpoint ${source}: ${w}`);
  };
  if (pkls.length === 0) {
    fail(
      `zip archive has no "<name>/data.pkl" record (${zip.entries.size} entries): not a PyTorch checkpoint`,
    );
  }
  if (pkls.length > 1) fail(`zip archive has several data.pkl records (${pkls.join(", ")})`);
  const prefix = pkls[0].includes("/") ? pkls[0].slice(0, pkls[0].indexOf("/")) : "";
  const p = prefix ? `${prefix}/` : "";
  if (zip.has(`${p}constants.pkl`) || zip.names().some((n) => n.startsWith(`${p}code/`))) {
    fail(
      "this is a TorchScript archive (torch.jit.save), which is not supported; save the model or its state_dict with torch.save",
    );
  }
  return prefix;
}

/**
 * Read a PyTorch checkpoint (zip or legacy format) into an inert object tree with {@link TorchTensor}s.
 * Throws {@link TorchCheckpointError}, `ZipError`, `PickleError` or `UnsafeGlobalError` with a message naming the
 * file and the problem; nothing from the file is executed.
 *
 * @param bytes The whole file.
 * @param source The file name, for messages.
 * @param opts See {@link ReadTorchOptions}.
 * @returns The checkpoint.
 */
export async function readTorchCheckpoint(
  bytes: Uint8Array,
  source = "<bytes>",
  opts: ReadTorchOptions = {},
): Promise<TorchCheckpoint> {
  const fail = (w: string): never => {
    throw new TorchCheckpointError(`Cannot read checkpoint ${source}: ${w}`);
  };
  const maxBytes = opts.maxTensorBytes ?? 4 * 2 ** 30;
  if (bytes.length === 0) fail("file is empty");
  if (isZip(bytes)) return await readZip(bytes, source, opts, maxBytes);
  if (bytes[0] === 0x80) return readLegacy(bytes, source, opts, maxBytes);
  if (bytes.length > 262 && String.fromCharCode(...bytes.subarray(257, 262)) === "ustar") {
    fail("this is a tar-format checkpoint (PyTorch < 0.4), which is not supported");
  }
  const head = [...bytes.subarray(0, 4)].map((x) => x.toString(16).padStart(2, "0")).join(" ");
  return fail(`wrong magic ${head}: neither a zip (50 4b 03 04) nor a legacy pickle checkpoint (80 02)`);
}

async function readZip(
  bytes: Uint8Array,
  source: string,
  opts: ReadTorchOptions,
  maxBytes: number,
): Promise<TorchCheckpoint> {
  const fail = (w: string): never => {
    throw new TorchCheckpointError(`Cannot read checkpoint ${source}: ${w}`);
  };
  const zip = ZipArchive.open(bytes, source, opts.zip);
  const prefix = findPrefix(zip, source);
  const p = prefix ? `${prefix}/` : "";
  let bigEndian = false;
  if (zip.has(`${p}byteorder`)) {
    const bo = new TextDecoder().decode(await zip.read(`${p}byteorder`)).trim();
    if (bo !== "little" && bo !== "big") fail(`byteorder record is ${JSON.stringify(bo.slice(0, 20))}`);
    bigEndian = bo === "big";
  }
  const version = zip.has(`${p}version`)
    ? new TextDecoder().decode((await zip.read(`${p}version`)).subarray(0, 64)).trim()
    : undefined;
  const storages = new Map<string, TorchStorage>();
  const pklName = `${p}data.pkl`;
  const uopts: UnpickleOptions = {
    source: `${source}:${pklName}`,
    allowModules: opts.allowModules,
    handlers: torchHandlers(source, maxBytes),
    persistentLoad: (pid) => {
      const r = storageFromPid(pid, storages, (w) => fail(`${pklName}: ${w}`));
      if ("module" in r) return r.module;
      if (r.view) fail(`${pklName}: storage views are not expected in zip checkpoints`);
      return r.storage;
    },
  };
  const res = unpickleAt(await zip.read(pklName), uopts);
  for (const s of storages.values()) {
    const name = `${p}data/${s.key}`;
    const e = zip.entries.get(name);
    if (!e) fail(`storage record "${name}" is missing`);
    if (e!.size < s.nbytes) {
      fail(
        `storage record "${name}" has ${
          e!.size
        } bytes but its ${s.dtype} storage of ${s.numel} elements needs ${s.nbytes}`,
      );
    }
    s.bytes = (await zip.read(name)).subarray(0, s.nbytes);
    s.bigEndian = bigEndian;
  }
  return new TorchCheckpoint(res.value, "zip", source, storages, res.globals, res.protocol, prefix, version);
}

function readLegacy(
  bytes: Uint8Array,
  source: string,
  opts: ReadTorchOptions,
  maxBytes: number,
): TorchCheckpoint {
  const fail = (w: string): never => {
    throw new TorchCheckpointError(`Cannot read checkpoint ${source}: ${w}`);
  };
  const plain = (offset: number, what: string) => {
    try {
      return unpickleAt(bytes, { offset, source: `${source} (legacy ${what})` });
    } catch (e) {
      if (what === "magic number" && e instanceof PickleError) {
        fail(`starts like a pickle but is not a PyTorch legacy checkpoint (${e.message})`);
      }
      throw e;
    }
  };
  const magic = plain(0, "magic number");
  if (magic.value !== LEGACY_MAGIC) {
    fail(
      `wrong magic number ${describe(magic.value)} ${
        String(magic.value)
      }: a pickle, but not a PyTorch legacy checkpoint`,
    );
  }
  const proto = plain(magic.end, "protocol version");
  if (proto.value !== 1001) {
    fail(`legacy protocol version ${String(proto.value)} is not supported (expected 1001)`);
  }
  const sysInfo = plain(proto.end, "sys info");
  // sys_info's little_endian flag needs no action: legacy storages are always written little-endian.
  const storages = new Map<string, TorchStorage>();
  const views: Array<[TorchStorage, string, number, number]> = [];
  const viewStorages = new Map<string, TorchStorage>();
  const obj = unpickleAt(bytes, {
    offset: sysInfo.end,
    source: `${source} (legacy object pickle)`,
    allowModules: opts.allowModules,
    handlers: torchHandlers(source, maxBytes),
    persistentLoad: (pid) => {
      const r = storageFromPid(pid, storages, fail);
      if ("module" in r) return r.module;
      if (!r.view) return r.storage;
      const [vkey, off, vsize] = r.view;
      let v = viewStorages.get(vkey);
      if (!v) {
        if (off < 0 || vsize < 0 || off + vsize > r.storage.numel) {
          fail(`storage view "${vkey}" lies outside "${r.storage.key}"`);
        }
        v = new TorchStorage(vkey, r.storage.dtype, vsize, r.storage.location);
        viewStorages.set(vkey, v);
        views.push([v, r.storage.key, off, vsize]);
      }
      return v;
    },
  });
  const keys = plain(obj.end, "storage keys");
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === "string")) {
    fail("storage key list is malformed");
  }
  let pos = keys.end;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys.value as string[]) {
    const s = storages.get(key);
    if (!s) fail(`storage "${key}" is listed but never used by the object pickle`);
    if (pos + 8 > bytes.length) fail(`storage "${key}" at byte ${pos}: file is truncated (no element count)`);
    const n = view.getBigInt64(pos, true);
    if (n !== BigInt(s!.numel)) {
      fail(`storage "${key}" at byte ${pos} holds ${n} elements, the pickle declared ${s!.numel}`);
    }
    pos += 8;
    if (pos + s!.nbytes > bytes.length) {
      fail(
        `storage "${key}" at byte ${pos} needs ${s!.nbytes} bytes but only ${
          bytes.length - pos
        } remain (truncated)`,
      );
    }
    s!.bytes = bytes.subarray(pos, pos + s!.nbytes);
    pos += s!.nbytes;
  }
  for (const s of storages.values()) {
    if (!s.bytes) fail(`storage "${s.key}" is used but its data are missing`);
  }
  for (const [v, root, off, size] of views) {
    const r = storages.get(root)!;
    const isz = DTYPE_BYTES[r.dtype];
    v.bytes = r.bytes!.subarray(off * isz, (off + size) * isz);
  }
  return new TorchCheckpoint(
    obj.value,
    "legacy",
    source,
    storages,
    obj.globals,
    obj.protocol,
    undefined,
    String(proto.value),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// state dict

/** Options of {@link stateDictFromCheckpoint}. */
export interface StateDictOptions {
  /** Take `ckpt['ema']` when it is present and not None (default: `ckpt['model']`). */
  ema?: boolean;
}

/** The weights of a checkpoint with the official names, and what the checkpoint says about the model. */
export interface CheckpointStateDict {
  /** `state_dict()` in order, with official dotted names; data are materialised copies. */
  tensors: Map<string, RawTensor>;
  /** Names in `tensors` that are `nn.Parameter`s (the rest are buffers). */
  parameters: Set<string>;
  /** Which object the weights came from: `model`, `ema`, `state_dict`, or `root` (the file holds them directly). */
  from: string;
  /** Class of the model record, e.g. `models.yolo.DetectionModel` (absent for plain state dicts). */
  modelClass?: string;
  /** The model configuration (`DetectionModel.yaml`) as plain JSON data. */
  yaml?: Record<string, unknown>;
  /** The yaml file the model was built from (`DetectionModel.yaml_file`). */
  yamlFile?: string;
  /** Number of classes. */
  nc?: number;
  /** Class names in index order. */
  names?: string[];
  /** Model strides (`DetectionModel.stride`). */
  stride?: number[];
}

function isModule(v: unknown): boolean {
  return v instanceof PyObject && v.attrs?.get("_parameters") instanceof Map &&
    v.attrs?.get("_modules") instanceof Map;
}

/** Most modules visited by one state_dict walk (a small pickle can share submodules exponentially). */
const MAX_MODULES = 1_000_000;

function walkModule(
  m: PyObject,
  prefix: string,
  out: Map<string, RawTensor>,
  params: Set<string>,
  path: Set<PyObject>,
  depth: number,
  count: { n: number },
): void {
  if (depth > 256) {
    throw new TorchCheckpointError(`Cannot build state_dict: modules nested deeper than 256 at "${prefix}"`);
  }
  if (++count.n > MAX_MODULES) {
    throw new TorchCheckpointError(`Cannot build state_dict: more than ${MAX_MODULES} modules`);
  }
  if (path.has(m)) throw new TorchCheckpointError(`Cannot build state_dict: module cycle at "${prefix}"`);
  path.add(m);
  const a = m.attrs!;
  const take = (kind: string, skip?: Set<unknown>) => {
    const d = a.get(kind);
    if (d === undefined || d === null) return;
    if (!(d instanceof Map)) {
      throw new TorchCheckpointError(
        `Cannot build state_dict: ${prefix || m.qualname} ${kind} is ${describe(d)}`,
      );
    }
    for (const [k, t] of d) {
      if (t === null || skip?.has(k)) continue;
      const name = `${prefix}${String(k)}`;
      if (!(t instanceof TorchTensor)) {
        throw new TorchCheckpointError(
          `Cannot build state_dict: "${name}" is ${describe(t)}, not a dense tensor`,
        );
      }
      out.set(name, t);
      if (kind === "_parameters") params.add(name);
    }
  };
  take("_parameters");
  const np = a.get("_non_persistent_buffers_set");
  take("_buffers", np instanceof Set ? np : undefined);
  for (const [k, sub] of a.get("_modules") as Map<unknown, unknown>) {
    if (sub === null) continue;
    const name = `${prefix}${String(k)}`;
    if (!isModule(sub)) {
      throw new TorchCheckpointError(
        `Cannot build state_dict: submodule "${name}" is ${describe(sub)}, not an nn.Module`,
      );
    }
    walkModule(sub as PyObject, `${name}.`, out, params, path, depth + 1, count);
  }
  path.delete(m);
}

function namesList(v: unknown): string[] | undefined {
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return [...v];
  if (v instanceof Map) {
    const out: string[] = [];
    for (let i = 0; i < v.size; i++) {
      const x = v.get(i);
      if (typeof x !== "string") return undefined;
      out.push(x);
    }
    return out;
  }
  return undefined;
}

/**
 * The `state_dict()` of a checkpoint (or of any unpickled tree) with official names, plus the model configuration.
 *
 * Accepts training / converted checkpoints (`{'model': DetectionModel, 'ema': ..., ...}`; `ema` is taken with
 * `opts.ema` when present and not None), a whole pickled model, `{'state_dict': ...}` and plain state dicts.
 */
export function stateDictFromCheckpoint(
  ckpt: TorchCheckpoint | unknown,
  opts: StateDictOptions = {},
): CheckpointStateDict {
  const root = ckpt instanceof TorchCheckpoint ? ckpt.root : ckpt;
  const src = ckpt instanceof TorchCheckpoint ? ckpt.source : "<tree>";
  const fail = (w: string): never => {
    throw new TorchCheckpointError(`Cannot get the weights of ${src}: ${w}`);
  };
  let picked: unknown = root;
  let from = "root";
  if (root instanceof Map && !isTensorDict(root)) {
    const has = (k: string) => root.get(k) !== undefined && root.get(k) !== null;
    if (opts.ema && has("ema")) from = "ema";
    else if (has("model")) from = "model";
    else if (has("ema")) from = "ema";
    else if (has("state_dict")) from = "state_dict";
    else if (has("model_state_dict")) from = "model_state_dict";
    else {fail(
        `no "model", "ema" or "state_dict" entry (keys: ${
          [...root.keys()].map(String).slice(0, 20).join(", ")
        })`,
      );}
    picked = root.get(from);
  }
  const tensors = new Map<string, TorchTensor>();
  const parameters = new Set<string>();
  const out: CheckpointStateDict = { tensors: new Map(), parameters, from };
  if (picked instanceof PyObject) {
    if (!isModule(picked)) fail(`"${from}" is a ${picked.qualname} record, not an nn.Module`);
    walkModule(picked, "", tensors as Map<string, RawTensor>, parameters, new Set(), 0, { n: 0 });
    out.modelClass = picked.qualname;
    const yaml = picked.get("yaml");
    if (yaml instanceof Map) out.yaml = toPlain(yaml) as Record<string, unknown>;
    const yf = picked.get("yaml_file");
    if (typeof yf === "string") out.yamlFile = yf;
    const nc = picked.get("nc") ?? out.yaml?.nc;
    if (typeof nc === "number") out.nc = nc;
    const names = namesList(picked.get("names")) ?? namesList(out.yaml?.names);
    if (names) out.names = names;
    const stride = picked.get("stride");
    if (stride instanceof TorchTensor && stride.numel <= 16) {
      out.stride = [...stride.toRaw().data].map(Number);
    }
  } else if (picked instanceof Map) {
    for (const [k, t] of picked) {
      if (t instanceof TorchTensor) {
        tensors.set(String(k), t);
        if (t.isParameter) parameters.add(String(k));
      }
    }
    if (tensors.size === 0) fail(`"${from}" holds no tensors`);
  } else {
    fail(`"${from}" is ${describe(picked)}, neither a model nor a state dict`);
  }
  for (const [k, t] of tensors) out.tensors.set(k, t.toRaw());
  return out;
}

function isTensorDict(m: Map<unknown, unknown>): boolean {
  if (m.size === 0) return false;
  for (const v of m.values()) if (!(v instanceof TorchTensor)) return false;
  return true;
}
