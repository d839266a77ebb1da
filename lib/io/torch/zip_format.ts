/**
 * The zip checkpoint format (torch >= 1.6): `<prefix>/data.pkl` (the object pickle), `<prefix>/data/<key>` (raw
 * storages), `<prefix>/version` and, from newer torch, `<prefix>/byteorder`; the prefix is `archive` or the file
 * stem. TorchScript archives are recognised and refused.
 * @module
 */
import { unpickleAt, type UnpickleOptions } from "../pickle/mod.ts";
import { ZipArchive } from "../zip/mod.ts";
import { type ReadTorchOptions, TorchCheckpoint } from "./checkpoint.ts";
import { readFailure } from "./errors.ts";
import { torchHandlers } from "./rebuild.ts";
import { storageFromPid, type TorchStorage } from "./storage.ts";

function findPrefix(zip: ZipArchive, source: string): string {
  const pkls = zip.names().filter((n) => /^[^/]+\/data\.pkl$/.test(n) || n === "data.pkl");
  const fail = readFailure(source);
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
 * Read a zip checkpoint: the object pickle, then of every storage the bytes its tensors reference (a record
 * may declare more: the rest is never inflated), each storage checked against its record.
 */
export async function readZip(
  bytes: Uint8Array,
  source: string,
  opts: ReadTorchOptions,
  maxBytes: number,
): Promise<TorchCheckpoint> {
  const fail = readFailure(source);
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
  const total = [...storages.values()].reduce((a, s) => a + s.usedBytes, 0);
  const limit = opts.maxTotalBytes ?? 8 * 2 ** 30;
  if (total > limit) {
    fail(`its tensors reference ${total} bytes of storage in total, more than the limit of ${limit} bytes (maxTotalBytes)`);
  }
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
    s.bytes = s.usedBytes ? await zip.read(name, s.usedBytes) : new Uint8Array(0); // what tensors use, no more
    s.bigEndian = bigEndian;
  }
  return new TorchCheckpoint(res.value, "zip", source, storages, res.globals, res.protocol, prefix, version);
}
