/**
 * One training or validation sample, composed as utils/dataloaders.py `LoadImagesAndLabels.__getitem__`:
 * mosaic (+ copy-paste + random_perspective with border -s/2) and mixup with a second mosaic, or (when
 * mosaic is off / closed) letterbox + random_perspective; then labels to normalised xywh (clipped, eps
 * 1e-3), HSV, flip up-down, flip left-right. Albumentations (Blur, MedianBlur, ToGray, CLAHE at p = 0.01)
 * is not reproduced. Validation: letterbox without augmentation or enlarging.
 * @module
 */
import type { Hyp } from "./types.ts";
import type { RgbImage } from "./image.ts";
import { hypValue } from "./hyp.ts";
import { xywhnToXyxy, xyxyToXywhn } from "./boxes.ts";
import { letterbox } from "./letterbox.ts";
import { mosaic4, sampleMosaic } from "./mosaic.ts";
import { copyPasteBoxes } from "./copy_paste.ts";
import { type PerspectiveHyp, randomPerspective } from "./affine.ts";
import { mixup } from "./mixup.ts";
import { augmentHsv } from "./hsv.ts";
import { flipImageLr, flipImageUd, flipLabelsLr, flipLabelsUd } from "./flip.ts";
import { type Rng, rngFloat, rngInt } from "./rng.ts";

/** An image loaded for the pipeline: resized so the long side is the training size (official load_image). */
export interface LoadedImage {
  image: RgbImage;
  /** Normalised `[class, cx, cy, w, h]` rows. */
  labels: Float32Array;
  /** Original [height, width]. */
  orig: [number, number];
  /** Resize ratio new / original. */
  ratio: number;
}

/** Where samples come from: the dataset size and an image getter (index -> resized image + labels). */
export interface SampleSource {
  length: number;
  get(i: number): Promise<LoadedImage>;
}

/** A finished sample: the s x s image, normalised `[class, cx, cy, w, h]` rows, and the letterbox transform. */
export interface PipelineSample {
  image: RgbImage;
  labels: Float32Array;
  shape: { orig: [number, number]; ratio: number; pad: [number, number] };
}

function perspectiveHyp(hyp: Hyp): PerspectiveHyp {
  return {
    degrees: hypValue(hyp, "degrees"),
    translate: hypValue(hyp, "translate"),
    scale: hypValue(hyp, "scale"),
    shear: hypValue(hyp, "shear"),
    perspective: hypValue(hyp, "perspective"),
  };
}

/** Official load_mosaic: 4-mosaic, copy-paste, random_perspective to s x s. Labels in pixels (xyxy). */
export async function loadMosaic(
  src: SampleSource,
  index: number,
  rng: Rng,
  opts: { img: number; hyp: Hyp },
): Promise<{ image: RgbImage; labels: Float32Array }> {
  const s = opts.img;
  const draw = sampleMosaic(rng, index, src.length, s);
  const tiles = await Promise.all(draw.indices.map((i) => src.get(i)));
  let m = mosaic4(tiles, s, draw);
  m = copyPasteBoxes(m.image, m.labels, rng, { p: hypValue(opts.hyp, "copy_paste") });
  const b = -Math.floor(s / 2);
  return randomPerspective(m.image, m.labels, rng, { hyp: perspectiveHyp(opts.hyp), border: [b, b] });
}

/** One augmented training sample of image `index` (mosaic unless `mosaic` is false). */
export async function trainSample(
  src: SampleSource,
  index: number,
  rng: Rng,
  opts: { img: number; hyp: Hyp; mosaic?: boolean },
): Promise<PipelineSample> {
  const { img: s, hyp } = opts;
  let image: RgbImage, labels: Float32Array;
  let shape: PipelineSample["shape"];
  if ((opts.mosaic ?? true) && rngFloat(rng) < hypValue(hyp, "mosaic")) {
    ({ image, labels } = await loadMosaic(src, index, rng, { img: s, hyp }));
    if (rngFloat(rng) < hypValue(hyp, "mixup")) {
      const other = await loadMosaic(src, rngInt(rng, 0, src.length - 1), rng, { img: s, hyp });
      ({ image, labels } = mixup({ image, labels }, other, rng));
    }
    const loaded = await src.get(index);
    shape = { orig: loaded.orig, ratio: loaded.ratio, pad: [0, 0] };
  } else {
    const loaded = await src.get(index);
    const { lb, px } = letterboxed(loaded, s, true);
    ({ image, labels } = randomPerspective(lb.image, px, rng, { hyp: perspectiveHyp(hyp) }));
    shape = { orig: loaded.orig, ratio: loaded.ratio * lb.ratio, pad: lb.pad };
  }
  labels = xyxyToXywhn(labels, image.width, image.height, { clip: true, eps: 1e-3 });
  image = augmentHsv(image, rng, {
    h: hypValue(hyp, "hsv_h"),
    s: hypValue(hyp, "hsv_s"),
    v: hypValue(hyp, "hsv_v"),
  });
  if (rngFloat(rng) < hypValue(hyp, "flipud")) {
    image = flipImageUd(image);
    labels = flipLabelsUd(labels);
  }
  if (rngFloat(rng) < hypValue(hyp, "fliplr")) {
    image = flipImageLr(image);
    labels = flipLabelsLr(labels);
  }
  return { image, labels, shape };
}

/** `loaded` letterboxed to s x s (`scaleup`: may enlarge) and its labels in pixels of the letterboxed image. */
function letterboxed(loaded: Awaited<ReturnType<SampleSource["get"]>>, s: number, scaleup: boolean) {
  const lb = letterbox(loaded.image, [s, s], { auto: false, scaleup });
  const px = xywhnToXyxy(loaded.labels, lb.ratio * loaded.image.width, lb.ratio * loaded.image.height, lb.pad[0], lb.pad[1]);
  return { lb, px };
}

/** A validation sample: letterbox to s x s (no enlarging beyond load_image, no augmentation). */
export async function valSample(
  src: SampleSource,
  index: number,
  opts: { img: number },
): Promise<PipelineSample> {
  const s = opts.img;
  const loaded = await src.get(index);
  const { lb, px } = letterboxed(loaded, s, false);
  return {
    image: lb.image,
    labels: xyxyToXywhn(px, s, s, { clip: true, eps: 1e-3 }),
    shape: { orig: loaded.orig, ratio: loaded.ratio * lb.ratio, pad: lb.pad },
  };
}
