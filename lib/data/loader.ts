/**
 * The batch loader: `createLoader(ds, opts)` iterates an epoch of {@link Batch}es (utils/dataloaders.py
 * `create_dataloader` + `collate_fn`): order shuffled from (seed, epoch), the last partial batch kept,
 * training samples augmented per `hyp` (mosaic unless `mosaic: false`), validation samples letterboxed,
 * images as NHWC float32 [0, 1] tensors (the caller disposes them), targets `[imageIndex, class, cx, cy, w,
 * h]` normalised to the batch image. Every sample draws from its own stream `mixSeed(seed, epoch, k)`, so a
 * rerun gives identical batches and another epoch different ones. Resized images are cached (bounded);
 * a sample whose image fails to decode is left out of its batch, with a warning naming the file (never
 * replaced by another image, so images and labels stay paired and counts stay true).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Batch, Dataset, LoaderOptions } from "./types.ts";
import type { DataWarning } from "./labels.ts";
import { createByteLru } from "./cache.ts";
import { resizeLongSide } from "./resize.ts";
import { createRng, mixSeed, rngShuffle } from "./rng.ts";
import {
  type LoadedImage,
  type PipelineSample,
  type SampleSource,
  trainSample,
  valSample,
} from "./train_sample.ts";

/** Loader options beyond the contract's {@link LoaderOptions}. */
export interface LoaderExtras {
  /** Budget of the resized-image cache in bytes. Default 512 MiB. */
  cacheBytes?: number;
}

/** Thrown by a {@link DatasetSource} for an image that cannot be decoded (its sample is left out). */
export class ImageSkippedError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`${file}: image skipped: ${reason}`);
    this.name = "ImageSkippedError";
  }
}

/** Collated host data of a batch (before the tensor): images NHWC float32 in [0, 1], targets, shapes. */
export interface HostBatch {
  images: Float32Array;
  shape: [number, number, number, number];
  targets: Float32Array;
  shapes: Batch["shapes"];
}

/** Number of batches of an epoch (last partial batch kept). */
export function loaderLength(ds: Dataset, opts: Pick<LoaderOptions, "batch">): number {
  return Math.ceil(ds.length / opts.batch);
}

/** The dataset order of epoch `epoch`: 0..n-1, shuffled from (seed, epoch) when `shuffle`. */
export function epochOrder(n: number, opts: Pick<LoaderOptions, "seed" | "epoch" | "shuffle">): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  return opts.shuffle ? rngShuffle(createRng(mixSeed(opts.seed, opts.epoch, 0x5eed)), order) : order;
}

/** Stacks samples of equal size into NHWC float32 [0, 1] and concatenates targets with their image index. */
export function collate(samples: readonly PipelineSample[]): HostBatch {
  if (!samples.length) throw new RangeError("collate: expected at least one sample, got none");
  const { width: w, height: h } = samples[0].image;
  const images = new Float32Array(samples.length * h * w * 3);
  const rows: number[] = [];
  samples.forEach((s, b) => {
    if (s.image.width !== w || s.image.height !== h) {
      throw new RangeError(
        `collate: expected images of ${w}x${h}, got ${s.image.width}x${s.image.height} at ${b}`,
      );
    }
    const o = b * h * w * 3, px = s.image.pixels;
    for (let i = 0; i < px.length; i++) images[o + i] = px[i] / 255;
    for (let r = 0; r < s.labels.length; r += 5) rows.push(b, ...s.labels.subarray(r, r + 5));
  });
  return {
    images,
    shape: [samples.length, h, w, 3],
    targets: new Float32Array(rows),
    shapes: samples.map((s) => s.shape),
  };
}

/** A dataset-backed {@link SampleSource} with the warnings it produced (taken by the loader). */
export interface DatasetSource extends SampleSource {
  warnings: DataWarning[];
}

const SOURCES = new WeakMap<Dataset, Map<string, DatasetSource>>();

/**
 * The dataset as a {@link SampleSource}: images resized to long side `img`, cached; an image that fails to
 * decode throws {@link ImageSkippedError} (then and every later time), with one warning.
 * One source (and cache) per dataset, size and mode is kept for the dataset's lifetime, so later epochs
 * reuse the resized images.
 */
export function datasetSource(
  ds: Dataset,
  opts: { img: number; augment: boolean; cacheBytes?: number },
): DatasetSource {
  const key = `${opts.img}:${opts.augment}:${opts.cacheBytes ?? ""}`;
  const known = SOURCES.get(ds)?.get(key);
  if (known) return known;
  const cache = createByteLru<LoadedImage>(opts.cacheBytes ?? 512 * 2 ** 20);
  const bad = new Map<number, ImageSkippedError>();
  const warnings: DataWarning[] = [];
  const get = async (i: number): Promise<LoadedImage> => {
    const hit = cache.get(i);
    if (hit) return hit;
    if (bad.has(i)) throw bad.get(i);
    let s;
    try {
      s = await ds.load(i);
    } catch (e) {
      const err = new ImageSkippedError(ds.paths[i], (e as Error).message.split("\n")[0]);
      bad.set(i, err);
      warnings.push({ kind: "image", file: ds.paths[i], message: err.message });
      throw err;
    }
    const { image, ratio } = resizeLongSide(s, opts.img, opts.augment);
    const loaded: LoadedImage = { image, labels: s.labels, orig: [s.height, s.width], ratio };
    cache.set(i, loaded, image.pixels.byteLength);
    return loaded;
  };
  const source = { length: ds.length, get, warnings };
  if (!SOURCES.has(ds)) SOURCES.set(ds, new Map());
  SOURCES.get(ds)!.set(key, source);
  return source;
}

/**
 * `src` where an unreadable image is stood in for by the next readable one (with its own labels): for the
 * extra images of a mosaic or mixup, whose choice is random anyway.
 */
function standInSource(src: SampleSource): SampleSource {
  return {
    length: src.length,
    async get(i: number): Promise<LoadedImage> {
      for (let k = 0; k < src.length; k++) {
        try {
          return await src.get((i + k) % src.length);
        } catch (e) {
          if (!(e instanceof ImageSkippedError)) throw e;
        }
      }
      throw new Error(`Cannot load any image: all ${src.length} failed to decode`);
    },
  };
}

/** Host batches of one epoch (no tensors): what {@link createLoader} wraps. */
export async function* hostBatches(
  ds: Dataset,
  opts: LoaderOptions & LoaderExtras,
): AsyncGenerator<HostBatch & { paths: string[] }> {
  if (!(opts.batch >= 1) || !Number.isInteger(opts.batch)) {
    throw new RangeError(`loader: expected batch >= 1, got ${opts.batch}`);
  }
  if (!(opts.img > 0) || opts.img % opts.stride !== 0) {
    throw new RangeError(
      `loader: expected img to be a positive multiple of the stride ${opts.stride}, got ${opts.img}`,
    );
  }
  if (!ds.length) throw new RangeError(`loader: dataset ${ds.name} has no images`);
  const src = datasetSource(ds, { img: opts.img, augment: opts.augment, cacheBytes: opts.cacheBytes });
  const partners = standInSource(src);
  const order = epochOrder(ds.length, opts);
  let yielded = 0;
  for (let start = 0; start < order.length; start += opts.batch) {
    const idx = order.slice(start, start + opts.batch);
    const settled = await Promise.allSettled(idx.map(async (i, k) => {
      const rng = createRng(mixSeed(opts.seed, opts.epoch, start + k));
      if (!opts.augment) return await valSample(src, i, { img: opts.img });
      await src.get(i); // the sample's own image must load; mosaic / mixup partners may stand in for each other
      return await trainSample(partners, i, rng, { img: opts.img, hyp: opts.hyp, mosaic: opts.mosaic });
    }));
    for (const w of src.warnings.splice(0)) opts.onWarning?.(w);
    const samples: PipelineSample[] = [], paths: string[] = [];
    settled.forEach((r, k) => {
      if (r.status === "fulfilled") {
        samples.push(r.value);
        paths.push(ds.paths[idx[k]]);
      } else if (!(r.reason instanceof ImageSkippedError)) throw r.reason;
    });
    if (!samples.length) continue;
    yielded += samples.length;
    yield { ...collate(samples), paths };
  }
  if (!yielded) throw new Error(`Cannot load any image of ${ds.name}: all ${ds.length} failed to decode`);
}

/**
 * Batches of one epoch of `ds`. Each batch's `images` tensor belongs to the caller (dispose it).
 *
 * @example
 * ```ts
 * for await (const b of createLoader(ds, { batch: 16, img: 160, stride: 32, augment: true, hyp, seed: 0, epoch, shuffle: true })) {
 *   // ... train on b.images, b.targets
 *   b.images.dispose();
 * }
 * ```
 */
export function createLoader(ds: Dataset, opts: LoaderOptions & LoaderExtras): AsyncIterable<Batch> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const hb of hostBatches(ds, opts)) {
        yield {
          images: tf.tensor4d(hb.images, hb.shape),
          targets: hb.targets,
          paths: hb.paths,
          shapes: hb.shapes,
        };
      }
    },
  };
}
