/**
 * Finding the image files of a dataset split: folders (recursive), `.txt` lists (relative lines resolved
 * against the list's folder, where the official code resolves only `./` lines), and the image folder of a
 * COCO json. I/O module.
 * @module
 */
import * as path from "node:path";
import { IMG_FORMATS } from "./image_io.ts";
import { pathExists } from "../io/exists.ts";

/** Image files below a folder (recursive) or listed in a .txt file (relative lines resolved against it). */
export async function listImages(src: string): Promise<string[]> {
  const info = await Deno.stat(src).catch(() => null);
  if (!info) throw new Error(`Cannot load dataset: ${src} does not exist`);
  const isImage = (f: string) => IMG_FORMATS.includes(f.split(".").pop()!.toLowerCase());
  if (info.isFile) {
    const lines = (await Deno.readTextFile(src)).split(/\r?\n/).map((l) => l.trim()).filter((l) => l);
    return lines.map((l) => path.resolve(path.dirname(src), l)).filter(isImage);
  }
  const out: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = path.join(d, e.name);
      if (e.isDirectory) await walk(p);
      else if (isImage(e.name)) out.push(p);
    }
  };
  await walk(src);
  return out;
}

/** Where a COCO json's `file_name` lives: the first existing of a few conventional folders. */
export async function cocoImagePath(root: string, json: string, fileName: string): Promise<string | null> {
  const stem = path.basename(json, ".json").replace(/^instances_/, "");
  const dirs = [
    path.join(root, "images", stem),
    path.join(root, stem),
    path.dirname(json),
    path.join(path.dirname(json), "..", "images", stem),
    path.join(root, "images"),
    root,
  ];
  for (const d of dirs) {
    const p = path.resolve(d, fileName);
    if (await pathExists(p)) return p;
  }
  return null;
}

/** Runs `fn` over `items` with at most `limit` in flight; results in order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
