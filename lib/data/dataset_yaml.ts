/**
 * Dataset YAML files in the official / Ultralytics layout (`path`, `train`, `val`, `test`, `names` as a list
 * or a map `{id: name}`, optional `nc`), also accepting the MultimediaTechLab shape (`validation`,
 * `class_list`, `class_num`). Mirrors utils/general.py `check_dataset` for the parts that do not download.
 *
 * Path rules: `path` (the root) is resolved against the YAML file's folder (the official code resolves it
 * against the repository root, Ultralytics against its datasets folder; both fall back here when the
 * folder-relative root does not exist but the working-directory-relative one does); `train` / `val` /
 * `test` entries are resolved against the root and may be a folder, a `.txt` list of images, a COCO
 * `.json` annotation file, or a list of these.
 * @module
 */
import * as path from "node:path";
import { parse as parseYaml } from "yaml";

/** Split names of a dataset YAML. */
export type SplitName = "train" | "val" | "test";

/** A parsed dataset YAML with absolute paths. */
export interface DatasetConfig {
  /** The YAML file. */
  file: string;
  /** Dataset root (`path`). */
  root: string;
  /** Absolute sources per split (folders, list files or COCO json files). */
  splits: Partial<Record<SplitName, string[]>>;
  /** Class names, index = class id. */
  names: string[];
  nc: number;
  /** Top-level keys that look like a misspelled dataset key (`trian` for `train`), with that key. */
  misspelledKeys: { key: string; like: string }[];
}

/** The top-level keys a dataset YAML may have. */
const KNOWN_KEYS = ["path", "train", "val", "validation", "test", "names", "nc", "class_list", "class_num", "download"];

/** Edit distance of two short strings (insertions, deletions, substitutions and swaps of neighbours). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i ? (j ? 0 : i) : j)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** Keys that are no dataset key but within a small edit distance of one (other extra keys are allowed). */
function misspelledKeys(d: Record<string, unknown>): { key: string; like: string }[] {
  return Object.keys(d).filter((k) => !KNOWN_KEYS.includes(k)).flatMap((key) => {
    const like = KNOWN_KEYS.find((k) => editDistance(key.toLowerCase(), k) <= (k.length > 4 ? 2 : 1));
    return like ? [{ key, like }] : [];
  });
}

/** Text of a misspelled key for messages: "`trian` (misspelled `train`?)". */
export function formatMisspelledKey(u: { key: string; like: string }): string {
  return `\`${u.key}\` (misspelled \`${u.like}\`?)`;
}

function fail(file: string, what: string): never {
  throw new TypeError(`Cannot read dataset YAML ${file}: ${what}`);
}

/** Class names from a list or an `{id: name}` map (ids 0..n-1). */
function parseNames(file: string, names: unknown, nc: unknown): string[] {
  if (names === undefined || names === null) {
    if (typeof nc === "number" && Number.isInteger(nc) && nc > 0) {
      return Array.from({ length: nc }, (_, i) => String(i));
    }
    fail(file, "expected `names` (a list or a map {id: name}) or `nc`, got neither");
  }
  let out: string[];
  if (Array.isArray(names)) out = names.map(String);
  else if (typeof names === "object") {
    const entries = Object.entries(names as Record<string, unknown>);
    out = new Array(entries.length);
    for (const [k, v] of entries) {
      const id = Number(k);
      if (!Number.isInteger(id) || id < 0 || id >= entries.length) {
        fail(file, `expected \`names\` keys 0..${entries.length - 1}, got key "${k}"`);
      }
      out[id] = String(v);
    }
  } else fail(file, `expected \`names\` as a list or a map {id: name}, got ${JSON.stringify(names)}`);
  if (nc !== undefined && nc !== null && nc !== out.length) {
    fail(file, `\`nc\` is ${nc} but \`names\` has ${out.length} entries`);
  }
  return out;
}

/**
 * Parses dataset YAML text; `file` is the YAML's path (for relative paths and messages), `cwd` the
 * working directory for the root fallback check (not touched here: `rootExists` tells whether a candidate
 * root exists; default: the folder-relative root is used).
 */
export function parseDatasetYaml(
  text: string,
  file: string,
  opts: { cwd?: string; rootExists?: (p: string) => boolean } = {},
): DatasetConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    fail(file, `invalid YAML: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    fail(file, "expected a mapping at the top level");
  }
  const d = doc as Record<string, unknown>;
  const abs = path.resolve(opts.cwd ?? ".", file);
  const here = path.dirname(abs);
  let root = here;
  if (d.path !== undefined && d.path !== null && d.path !== "") {
    if (typeof d.path !== "string") {
      fail(file, `expected \`path\` as a string, got ${JSON.stringify(d.path)}`);
    }
    root = path.resolve(here, d.path);
    if (!path.isAbsolute(d.path) && opts.rootExists && !opts.rootExists(root)) {
      const alt = path.resolve(opts.cwd ?? ".", d.path);
      if (opts.rootExists(alt)) root = alt;
    }
  }
  const splits: Partial<Record<SplitName, string[]>> = {};
  const keys: [SplitName, string][] = [["train", "train"], ["val", "val"], ["val", "validation"], [
    "test",
    "test",
  ]];
  for (const [split, key] of keys) {
    const v = d[key];
    if (v === undefined || v === null || v === "" || splits[split]) continue;
    const list = Array.isArray(v) ? v : [v];
    splits[split] = list.map((x) => {
      if (typeof x !== "string") {
        fail(file, `expected \`${key}\` as a path or a list of paths, got ${JSON.stringify(x)}`);
      }
      return path.resolve(root, x);
    });
  }
  const names = parseNames(file, d.names ?? d.class_list, d.nc ?? d.class_num);
  return { file: abs, root, splits, names, nc: names.length, misspelledKeys: misspelledKeys(d) };
}

/** Reads and parses a dataset YAML file (see {@link parseDatasetYaml}). */
export async function readDatasetYaml(file: string): Promise<DatasetConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new Error(`Cannot read dataset YAML ${file}: ${(e as Error).message}`);
  }
  const rootExists = (p: string) => {
    try {
      return Deno.statSync(p).isDirectory;
    } catch {
      return false;
    }
  };
  return parseDatasetYaml(text, file, { cwd: Deno.cwd(), rootExists });
}
