/**
 * {@link readTorchCheckpoint}: recognise a checkpoint's container from its first bytes and read it (zip or legacy);
 * TorchScript archives and the pre-0.4 tar format are refused with a message saying so.
 * @module
 */
import { isZip } from "../zip/mod.ts";
import type { ReadTorchOptions, TorchCheckpoint } from "./checkpoint.ts";
import { readFailure } from "./errors.ts";
import { readLegacy } from "./legacy_format.ts";
import { readZip } from "./zip_format.ts";

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
  const fail = readFailure(source);
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
