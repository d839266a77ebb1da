/**
 * `loadDataset(yaml, split)`: a {@link Dataset} from a dataset YAML (utils/dataloaders.py
 * `LoadImagesAndLabels.__init__` + `cache_labels`): image list from folders / list files / COCO json,
 * labels checked row by row, unreadable or corrupt images skipped, all problems returned as warnings plus
 * a summary; decoded images cached in memory (bounded LRU), or with `cache: "disk"` in one file per split
 * (image_pack.ts). Asking for the default dataset ("mnist-det",
 * or a missing `.../mnist-det/mnist-det.yaml`) generates MNIST-Det first. I/O module.
 * @module
 */
import * as path from "node:path";
import type { Dataset, Sample } from "./types.ts";
import type { RgbImage } from "./image.ts";
import { formatMisspelledKey, readDatasetYaml, type SplitName } from "./dataset_yaml.ts";
import { type DataWarning, img2labelPath, parseLabels } from "./labels.ts";
import { parseCocoJson } from "./coco_json.ts";
import { decodeImage, probeImage } from "./image_io.ts";
import { cocoImagePath, listImages, mapLimit } from "./image_files.ts";
import { createByteLru } from "./cache.ts";
import { completePack, imagePackPath, openSplitPack, packHit } from "./image_pack.ts";
import { DEFAULT_MNIST_DET_DIR, ensureMnistDet, type MnistDetOptions } from "./mnist_det_build.ts";

/** Options of {@link loadDataset}. */
export interface LoadDatasetOptions {
  /** Image check: header (+ full decode of JPEGs without EOI), full decode, or none. Default "header". */
  verify?: "header" | "full" | "none";
  /** Budget of the decoded-image cache in bytes. Default 1 GiB. */
  cacheBytes?: number;
  /** Coordinate tolerance of the label checks. Default 0.01. */
  tolerance?: number;
  /** Drop images with fewer labels (official --min-items). Default 0. */
  minItems?: number;
  /** Merge all classes into class 0 (official --single-cls). */
  singleCls?: boolean;
  /** Options for generating MNIST-Det when the default dataset is missing. */
  mnistDet?: MnistDetOptions;
  /** Files checked concurrently. Default 16. */
  concurrency?: number;
  /**
   * "disk": keep every decoded image of the split in one file beside its image folder (official `--cache
   * disk`), so later loads skip the header check and decoding of unchanged images. Default: none.
   */
  cache?: "disk";
  /** Largest image pack written (and held in memory), in bytes of decoded pixels. Default 2 GiB. */
  packBytes?: number;
}

/** Counts of a loaded split (official: found, missing, empty, corrupt). */
export interface DatasetSummary {
  images: number;
  labelFiles: number;
  missingLabels: number;
  emptyLabels: number;
  corruptImages: number;
  labels: number;
  droppedRows: number;
  duplicateRows: number;
  filteredImages: number;
  /** Label files of the split's label folders without an image. */
  orphanLabels: number;
}

/** A dataset split with the warnings and counts of loading it. */
export interface LoadedDataset extends Dataset {
  warnings: DataWarning[];
  summary: DatasetSummary;
  /** Per image, the [height, width] read from the header (EXIF orientation applied; [0, 0] with verify "none"). */
  sizes: [number, number][];
}

/** Resolves "mnist-det" and a missing default MNIST-Det YAML by generating the dataset. */
async function resolveYaml(yamlPath: string, opts: LoadDatasetOptions): Promise<string> {
  if (yamlPath === "mnist-det") return await ensureMnistDet(DEFAULT_MNIST_DET_DIR, opts.mnistDet);
  if (path.basename(yamlPath) === "mnist-det.yaml") {
    try {
      await Deno.stat(yamlPath);
    } catch {
      return await ensureMnistDet(path.dirname(yamlPath), opts.mnistDet);
    }
  }
  return yamlPath;
}

/** Loads split `split` of the dataset YAML `yamlPath` ("mnist-det" = the default dataset). */
export async function loadDataset(
  yamlPath: string,
  split: SplitName,
  opts: LoadDatasetOptions = {},
): Promise<LoadedDataset> {
  const cfg = await readDatasetYaml(await resolveYaml(yamlPath, opts));
  const sources = cfg.splits[split];
  if (!sources?.length) {
    const near = cfg.misspelledKeys.filter((u) => u.like === split || (split === "val" && u.like === "validation"));
    throw new Error(
      `Cannot load dataset: ${cfg.file} has no \`${split}\` split` +
        (near.length ? `; it has the key ${near.map(formatMisspelledKey).join(", ")}` : ""),
    );
  }
  const warnings: DataWarning[] = cfg.misspelledKeys.map((u) => ({
    kind: "yaml" as const,
    file: cfg.file,
    message: `${cfg.file}: key ${formatMisspelledKey(u)} ignored`,
  }));
  const summary: DatasetSummary = {
    images: 0,
    labelFiles: 0,
    missingLabels: 0,
    emptyLabels: 0,
    corruptImages: 0,
    labels: 0,
    droppedRows: 0,
    duplicateRows: 0,
    filteredImages: 0,
    orphanLabels: 0,
  };
  // candidates: image path + (labels given by a COCO file | null = read the label file)
  const cands = new Map<string, Float32Array | null>();
  for (const src of sources) {
    if (src.toLowerCase().endsWith(".json")) {
      const coco = parseCocoJson(await Deno.readTextFile(src), src);
      warnings.push(...coco.warnings);
      for (const im of coco.images) {
        const p = await cocoImagePath(cfg.root, src, im.fileName);
        if (p) cands.set(p, im.labels);
        else {
          summary.corruptImages++;
          warnings.push({
            kind: "image",
            file: src,
            message: `${src}: image ${im.fileName} not found, skipped`,
          });
        }
      }
    } else for (const p of await listImages(src)) if (!cands.has(p)) cands.set(p, null);
  }
  const all = [...cands.keys()].sort();
  if (!all.length) throw new Error(`Cannot load dataset: no images found in ${sources.join(", ")}`);
  for (const w of await orphanLabels(sources, all)) {
    summary.orphanLabels++;
    warnings.push(w);
  }
  const verify = opts.verify ?? "header";
  const onPack = (message: string) => warnings.push({ kind: "image", file: imagePackPath(all[0]), message });
  const pack = opts.cache === "disk" ? await openSplitPack(all[0], onPack) : null;
  const checked = await mapLimit(all, opts.concurrency ?? 16, async (p) => {
    const hit = pack && await packHit(pack, p);
    const probe = hit
      ? { ok: true as const, width: hit.width, height: hit.height }
      : verify === "none"
      ? { ok: true as const, width: 0, height: 0 }
      : await probeImage(p, { full: verify === "full" });
    if (!probe.ok) return { p, probe, text: null as string | null };
    const given = cands.get(p);
    const text = given ? null : await Deno.readTextFile(img2labelPath(p)).catch(() => null);
    return { p, probe, text };
  });
  const paths: string[] = [], labels: Float32Array[] = [], sizes: [number, number][] = [];
  for (const { p, probe, text } of checked) {
    if (!probe.ok) {
      summary.corruptImages++;
      warnings.push({
        kind: "image",
        file: p,
        message: `${p}: unreadable or corrupt image skipped: ${probe.reason}`,
      });
      continue;
    }
    let lb = cands.get(p) ?? null;
    if (!lb) {
      if (text === null) summary.missingLabels++;
      else {
        summary.labelFiles++;
        const r = parseLabels(text, { file: img2labelPath(p), nc: cfg.nc, tolerance: opts.tolerance });
        warnings.push(...r.warnings);
        summary.droppedRows += r.dropped;
        summary.duplicateRows += r.duplicates;
        lb = r.labels;
      }
    } else summary.labelFiles++;
    lb ??= new Float32Array(0);
    if (text !== null && !lb.length) summary.emptyLabels++;
    if (lb.length / 5 < (opts.minItems ?? 0)) {
      summary.filteredImages++;
      continue;
    }
    if (opts.singleCls) { for (let o = 0; o < lb.length; o += 5) lb[o] = 0; }
    paths.push(p);
    labels.push(lb);
    sizes.push([probe.height, probe.width]);
    summary.labels += lb.length / 5;
  }
  summary.images = paths.length;
  const packed = pack
    ? await completePack(pack, paths, {
      maxBytes: opts.packBytes ?? 2 ** 31,
      concurrency: opts.concurrency ?? 16,
      onBad: onPack,
    })
    : new Map<string, RgbImage>();
  const cache = createByteLru<Sample>(opts.cacheBytes ?? 1 << 30);
  const names = opts.singleCls ? ["item"] : cfg.names;
  return {
    name: `${path.basename(cfg.file, path.extname(cfg.file))}/${split}`,
    names,
    length: paths.length,
    paths,
    labels: (i: number) => labels[i],
    async load(i: number): Promise<Sample> {
      if (!(i >= 0 && i < paths.length)) {
        throw new RangeError(`Dataset.load: index ${i} outside 0..${paths.length - 1}`);
      }
      const fromPack = packed.get(paths[i]);
      if (fromPack) return { path: paths[i], ...fromPack, labels: labels[i] };
      const hit = cache.get(i);
      if (hit) return hit;
      let img;
      try {
        img = await decodeImage(paths[i]);
      } catch (e) {
        throw new Error(`Cannot decode image ${paths[i]}: ${(e as Error).message.split("\n")[0]}`);
      }
      const sample: Sample = { path: paths[i], ...img, labels: labels[i] };
      cache.set(i, sample, img.pixels.byteLength);
      return sample;
    },
    warnings,
    summary,
    sizes,
  };
}

/** Label files under the label folder of each image folder in `sources` that belong to none of `images`. */
async function orphanLabels(sources: string[], images: string[]): Promise<DataWarning[]> {
  const expected = new Set(images.map(img2labelPath));
  const out: DataWarning[] = [];
  for (const src of sources) {
    if (!(await Deno.stat(src).catch(() => null))?.isDirectory) continue;
    const dir = path.dirname(img2labelPath(path.join(src, "x.png")));
    if (dir === src || !(await Deno.stat(dir).catch(() => null))?.isDirectory) continue;
    const walk = async (d: string): Promise<void> => {
      for await (const e of Deno.readDir(d)) {
        const p = path.join(d, e.name);
        if (e.isDirectory) await walk(p);
        else if (e.name.endsWith(".txt") && !expected.has(p)) {
          out.push({ kind: "orphan-label", file: p, message: `${p}: label file without an image in ${src}, ignored` });
        }
      }
    };
    await walk(dir);
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

/** One-paragraph summary of a loaded split, in the official wording ("N images, M backgrounds, K corrupt"). */
export function formatDatasetSummary(ds: LoadedDataset): string {
  const s = ds.summary;
  return `${ds.name}: ${s.images} images, ${s.labels} labels, ${
    s.missingLabels + s.emptyLabels
  } backgrounds ` +
    `(${s.missingLabels} without a label file), ${s.corruptImages} corrupt images skipped, ${s.droppedRows} bad label ` +
    `rows dropped, ${s.duplicateRows} duplicate rows removed` +
    (s.filteredImages ? `, ${s.filteredImages} images below min-items` : "") +
    (s.orphanLabels ? `, ${s.orphanLabels} label files without an image` : "");
}

/**
 * What loading a split found, for a person: one line per problem (file:line where there is a line), at
 * most `max`, then the summary line. Empty for datasets that carry no report (in-memory ones).
 */
export function datasetReport(ds: Dataset | LoadedDataset, max = 100): string[] {
  if (!("warnings" in ds && "summary" in ds)) return [];
  const l = ds as LoadedDataset;
  const lines = l.warnings.slice(0, max).map((w) => `warning: ${w.message}`);
  if (l.warnings.length > max) lines.push(`... ${l.warnings.length - max} more warnings (deno task data check lists all)`);
  return [...lines, formatDatasetSummary(l)];
}
