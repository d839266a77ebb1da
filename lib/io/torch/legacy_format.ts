/**
 * The legacy checkpoint format (`_use_new_zipfile_serialization=False`, torch < 1.6): a magic-number pickle, a
 * protocol-version pickle, a sys-info pickle, the object pickle, the list of storage keys, then each storage as an
 * 8-byte little-endian element count followed by its little-endian bytes. Storage views are resolved against
 * their root storages.
 * @module
 */
import { DTYPE_BYTES } from "../raw_tensor.ts";
import { describe, PickleError, unpickleAt } from "../pickle/mod.ts";
import { type ReadTorchOptions, TorchCheckpoint } from "./checkpoint.ts";
import { readFailure } from "./errors.ts";
import { torchHandlers } from "./rebuild.ts";
import { storageFromPid, TorchStorage } from "./storage.ts";

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/** Read a legacy checkpoint: its five pickles, then the storages in the order the key list gives. */
export function readLegacy(
  bytes: Uint8Array,
  source: string,
  opts: ReadTorchOptions,
  maxBytes: number,
): TorchCheckpoint {
  const fail = readFailure(source);
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
