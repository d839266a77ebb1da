/**
 * The batch loader: `createLoader(ds, opts)` iterates an epoch of {@link Batch}es (utils/dataloaders.py
 * `create_dataloader` + `collate_fn`): order shuffled from (seed, epoch), the last partial batch kept,
 * training samples augmented per `hyp` (mosaic unless `mosaic: false`), validation samples letterboxed,
 * images as NHWC float32 [0, 1] tensors (the caller disposes them), targets `[imageIndex, class, cx, cy, w,
 * h]` normalised to the batch image. Every sample draws from its own stream `mixSeed(seed, epoch, k)`, so a
 * rerun gives identical batches and another epoch different ones. Resized images are cached (bounded);
 * an image that fails to decode is replaced by the next readable one, with a warning.
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
  /** Receives a warning when an image cannot be decoded (it is replaced by the next readable one). */
  onWarning?: (w: DataWarning) => void;
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
 * The dataset as a {@link SampleSource}: images resized to long side `img`, cached, corrupt ones replaced.
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
  const bad = new Set<number>();
  const warnings: DataWarning[] = [];
  const get = async (i: number): Promise<LoadedImage> => {
    const hit = cache.get(i);
    if (hit) return hit;
    for (let k = 0; k < ds.length; k++) {
      const j = (i + k) % ds.length;
      if (bad.has(j)) continue;
      try {
        const s = await ds.load(j);
        const { image, ratio } = resizeLongSide(s, opts.img, opts.augment);
        const loaded: LoadedImage = { image, labels: s.labels, orig: [s.height, s.width], ratio };
        cache.set(i, loaded, image.pixels.byteLength);
        return loaded;
      } catch (e) {
        bad.add(j);
        const msg = `${ds.paths[j]}: image skipped: ${(e as Error).message}`;
        warnings.push({ kind: "image", file: ds.paths[j], message: msg });
      }
    }
    throw new Error(`Cannot load any image of ${ds.name}: all ${ds.length} failed to decode`);
  };
  const source = { length: ds.length, get, warnings };
  if (!SOURCES.has(ds)) SOURCES.set(ds, new Map());
  SOURCES.get(ds)!.set(key, source);
  return source;
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
  const order = epochOrder(ds.length, opts);
  for (let start = 0; start < order.length; start += opts.batch) {
    const idx = order.slice(start, start + opts.batch);
    const samples = await Promise.all(idx.map((i, k) => {
      const rng = createRng(mixSeed(opts.seed, opts.epoch, start + k));
      return opts.augment
        ? trainSample(src, i, rng, { img: opts.img, hyp: opts.hyp, mosaic: opts.mosaic })
        : valSample(src, i, { img: opts.img });
    }));
    for (const w of src.warnings.splice(0)) opts.onWarning?.(w);
    yield { ...collate(samples), paths: idx.map((i) => ds.paths[i]) };
  }
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
