/**
 * An image with its detections drawn as `detect.py` saves it: one box per detection in its class colour,
 * tagged `name conf` (two decimals).
 * @module
 */
import type { RgbImage } from "../data/image.ts";
import type { ImageDetections } from "./detect.ts";
import { classColor, drawBoxes } from "../viz/draw.ts";

/** `image` with the boxes of `d` drawn and labelled with `names` (class index when a name is missing). */
export function drawDetections(image: RgbImage, d: ImageDetections, names: readonly string[]): RgbImage {
  const cls = (i: number) => d.rows[6 * i + 5];
  const boxes = Array.from({ length: d.n }, (_, i) => Array.from(d.rows.subarray(6 * i, 6 * i + 4))).flat();
  const labels = Array.from(
    { length: d.n },
    (_, i) => `${names[cls(i)] ?? cls(i)} ${d.rows[6 * i + 4].toFixed(2)}`,
  );
  const colors = Array.from({ length: d.n }, (_, i) => classColor(cls(i)));
  return {
    pixels: drawBoxes(image.pixels, image.width, image.height, boxes, labels, colors),
    width: image.width,
    height: image.height,
  };
}
