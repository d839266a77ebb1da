/**
 * The data contract between datasets, augmentation and training: what a loaded sample and a batch
 * look like. Images are HWC uint8 RGB in memory; batches are NHWC float32 in [0, 1] tensors.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { DataWarning } from "./labels.ts";

/** One image with its labels, as decoded (before letterboxing / augmentation). */
export interface Sample {
  /** Source file (for messages and predictions). */
  path: string;
  /** RGB pixels, row-major HWC, uint8. */
  pixels: Uint8Array;
  height: number;
  width: number;
  /** Labels, one row per object: [class, cx, cy, w, h] normalised to [0, 1] by the image size. */
  labels: Float32Array;
}

/** A dataset split: a list of images with their labels, loaded lazily and cached. */
export interface Dataset {
  /** Dataset name and split, e.g. "mnist-det/train". */
  name: string;
  /** Class names, index = class id. */
  names: string[];
  /** Number of images. */
  length: number;
  /** Image file paths (index-aligned with `load`). */
  paths: string[];
  /** Label rows per image without decoding the image ([class, cx, cy, w, h] normalised). */
  labels(i: number): Float32Array;
  /** Decode image i (cached) with its labels. */
  load(i: number): Promise<Sample>;
}

/** One training / validation batch. */
export interface Batch {
  /** NHWC float32 images in [0, 1], letterboxed to [B, img, img, 3] (or the rectangular val shape). */
  images: tf.Tensor4D;
  /** Target rows [imageIndexInBatch, class, cx, cy, w, h], normalised to the batch image size. */
  targets: Float32Array;
  /** Source paths of the batch's images. */
  paths: string[];
  /**
   * Per image: original [h, w] and the letterbox transform [ratio, padX, padY], to map predictions
   * back to original pixels (val / detect).
   */
  shapes: { orig: [number, number]; ratio: number; pad: [number, number] }[];
}

/** Hyperparameters with the official `hyp.scratch-high.yaml` keys (lr0, lrf, momentum, ..., mosaic, mixup). */
export type Hyp = Record<string, number>;

/** Options of a batch loader (`createLoader` in lib/data/loader.ts). */
export interface LoaderOptions {
  batch: number;
  /** Square training size (multiple of the stride). */
  img: number;
  /** Max model stride (letterbox to a multiple of it). */
  stride: number;
  /** Training augmentation on (mosaic, mixup, HSV, flips, affine, copy-paste per `hyp`). */
  augment: boolean;
  /** Mosaic on (false during close-mosaic epochs). */
  mosaic?: boolean;
  hyp: Hyp;
  /** Seed; the epoch number is mixed in so every epoch differs but reruns are identical. */
  seed: number;
  epoch: number;
  shuffle: boolean;
  /** Receives a warning (file, line and a message naming them) when an image cannot be used and is left out. */
  onWarning?: (w: DataWarning) => void;
}
