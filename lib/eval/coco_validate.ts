/**
 * Field checks shared by the COCO readers: each failure throws a {@link CocoFormatError} naming the file,
 * the entry and what was expected.
 * @module
 */
import type { ImageId } from "./coco_data.ts";

/** Malformed COCO input; the message names the file and the entry. */
export class CocoFormatError extends Error {
  override name = "CocoFormatError";
}

/** A short JSON rendering of a value for error messages. */
export function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? s.slice(0, 77) + "..." : s;
}

/** Whether a parsed JSON value is an object (not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `file: list[i] (id X)` for error messages. */
export function entryName(file: string, list: string, i: number, e: Record<string, unknown>): string {
  return `${file}: ${list}[${i}]${"id" in e ? ` (id ${describe(e.id)})` : ""}`;
}

/** The finite number `e[key]`, or an error naming `where`. */
export function needNumber(e: Record<string, unknown>, key: string, where: string): number {
  const v = e[key];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new CocoFormatError(
      `${where}: expected a finite number "${key}", got ${
        key in e ? describe(v) : "nothing (field missing)"
      }`,
    );
  }
  return v;
}

/** The image id (number or string) `e[key]`, or an error naming `where`. */
export function needImageId(e: Record<string, unknown>, key: string, where: string): ImageId {
  const v = e[key];
  if ((typeof v === "number" && Number.isFinite(v)) || typeof v === "string") return v;
  throw new CocoFormatError(
    `${where}: expected a number or string "${key}", got ${
      key in e ? describe(v) : "nothing (field missing)"
    }`,
  );
}

/** The [x, y, w, h] box `e.bbox` (non-negative size; zero size only when `allowEmpty`), or an error. */
export function needBox(
  e: Record<string, unknown>,
  where: string,
  allowEmpty: boolean,
): [number, number, number, number] {
  const b = e.bbox;
  if (!Array.isArray(b) || b.length !== 4 || !b.every((x) => typeof x === "number" && Number.isFinite(x))) {
    throw new CocoFormatError(
      `${where}: expected "bbox" [x, y, w, h] of 4 finite numbers, got ${
        "bbox" in e ? describe(b) : "nothing (field missing)"
      }`,
    );
  }
  const [x, y, w, h] = b as number[];
  if (w < 0 || h < 0 || (!allowEmpty && (w === 0 || h === 0))) {
    throw new CocoFormatError(
      `${where}: expected a box with positive width and height, got bbox ${describe(b)}`,
    );
  }
  return [x, y, w, h];
}

/** The list of objects `root[key]`, or an error naming the file. */
export function needArray(
  root: Record<string, unknown>,
  key: string,
  file: string,
): Record<string, unknown>[] {
  const v = root[key];
  if (!Array.isArray(v)) {
    throw new CocoFormatError(
      `${file}: expected a list "${key}", got ${key in root ? describe(v) : "nothing (field missing)"}`,
    );
  }
  v.forEach((e, i) => {
    if (!isRecord(e)) {
      throw new CocoFormatError(`${file}: ${key}[${i}]: expected an object, got ${describe(e)}`);
    }
  });
  return v as Record<string, unknown>[];
}

/** A one-element warning list when `n > 0`. */
export function counted(n: number, file: string, what: string): string[] {
  return n > 0 ? [`${file}: ${n} ${what}`] : [];
}

/** Read and parse a JSON file; unreadable or malformed files raise a CocoFormatError naming the path. */
export async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new CocoFormatError(`${path}: cannot read file (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CocoFormatError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}
