/**
 * Whether a file or folder exists (I/O module).
 * @module
 */

/**
 * True when `path` can be stat'ed (a file, folder or link target), false otherwise.
 *
 * @example
 * ```ts
 * if (await pathExists("runs/train/exp/weights/last.safetensors")) console.log("resumable");
 * ```
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
