/**
 * {@link TorchCheckpoint}, what reading a checkpoint gives (the inert object tree, its storages and facts about the
 * container), and {@link ReadTorchOptions}, how it is read.
 * @module
 */
import type { ZipOptions } from "../zip/mod.ts";
import type { TorchStorage } from "./storage.ts";

/** Options of {@link readTorchCheckpoint}. */
export interface ReadTorchOptions {
  /** Extra module names whose globals become inert records (see `../pickle/policy.ts`). */
  allowModules?: readonly string[];
  /** Largest materialised size of one tensor, in bytes (default 4 GiB). */
  maxTensorBytes?: number;
  /**
   * Largest total of storage bytes the tensors reference, all storages together (default 8 GiB). Only those
   * bytes are read (inflated), whatever size a storage record declares.
   */
  maxTotalBytes?: number;
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
