/**
 * Several files of one folder replaced as one (I/O module): each new file is written completely beside its
 * target (`<name>.next`, atomically), then a manifest `commit.json` naming them is written atomically (the
 * commit point), then each `.next` is renamed over its target and the manifest removed. A process killed
 * at any moment leaves either the old set or, once the manifest exists, a set {@link recoverCommit} completes
 * (roll forward); `.next` files without a manifest are an unfinished save and are removed (roll back).
 * @module
 */
import { writeJsonAtomic } from "./atomic.ts";
import { pathExists } from "./exists.ts";

/** The manifest file of a folder's pending commit. */
export const COMMIT_MANIFEST = "commit.json";

/** One file of a commit: its name inside the folder and how to write it to a given path. */
export interface CommitFile {
  name: string;
  write(path: string): Promise<void>;
}

async function removeLeftovers(dir: string): Promise<void> {
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && (e.name.endsWith(".next") || e.name.endsWith(".tmp"))) {
      await Deno.remove(`${dir}/${e.name}`).catch(() => {});
    }
  }
}

/**
 * Finish or undo an interrupted {@link commitFiles} in `dir`: a complete manifest's renames are carried
 * out; stray `.next` / `.tmp` files are removed. Safe to call at any time (and again after a kill).
 */
export async function recoverCommit(dir: string): Promise<void> {
  if (!(await pathExists(dir))) return;
  const manifest = `${dir}/${COMMIT_MANIFEST}`;
  if (await pathExists(manifest)) {
    let names: unknown;
    try {
      names = JSON.parse(await Deno.readTextFile(manifest)).files;
    } catch (e) {
      throw new Error(
        `Cannot recover ${manifest}: expected {"files": [names]}, got unreadable JSON (${
          (e as Error).message
        })`,
      );
    }
    if (!Array.isArray(names) || !names.every((n) => typeof n === "string" && !n.includes("/"))) {
      throw new Error(
        `Cannot recover ${manifest}: expected {"files": [names in ${dir}]}, got ${JSON.stringify(names)}`,
      );
    }
    for (const n of names as string[]) {
      if (await pathExists(`${dir}/${n}.next`)) await Deno.rename(`${dir}/${n}.next`, `${dir}/${n}`);
    }
    await Deno.remove(manifest);
  }
  await removeLeftovers(dir);
}

/**
 * Replace the files `files` of `dir` as one commit (see the module doc). On a failure before the commit
 * point (e.g. disk full) every new file is removed and the old set stays.
 *
 * @example
 * ```ts
 * await commitFiles("runs/train/exp/weights", [
 *   { name: "a.txt", write: (p) => Deno.writeTextFile(p, "new a") },
 *   { name: "b.txt", write: (p) => Deno.writeTextFile(p, "new b") },
 * ]);
 * ```
 */
export async function commitFiles(dir: string, files: readonly CommitFile[]): Promise<void> {
  await recoverCommit(dir);
  try {
    for (const f of files) await f.write(`${dir}/${f.name}.next`);
    await writeJsonAtomic(`${dir}/${COMMIT_MANIFEST}`, { files: files.map((f) => f.name) });
  } catch (e) {
    await removeLeftovers(dir);
    throw e;
  }
  await recoverCommit(dir);
}
