/**
 * Atomic file writes (I/O module): the bytes go to a temp file beside the target, which is renamed over
 * it only when complete, so a reader or a later run never sees half a file; on any failure (disk full,
 * kill signal raised as an error) the temp file is removed and the target is left as it was.
 * @module
 */

let writes = 0;

/**
 * Write `data` (text or bytes) to `path` atomically: temp file + rename, temp removed on failure.
 *
 * @example
 * ```ts
 * await writeAtomic("runs/train/exp/opt.yaml", "epochs: 10\n");
 * ```
 */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${Deno.pid}.${++writes}.tmp`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** {@link writeAtomic} of `JSON.stringify(value, null, indent)`. */
export async function writeJsonAtomic(path: string, value: unknown, indent = 1): Promise<void> {
  await writeAtomic(path, JSON.stringify(value, null, indent));
}
