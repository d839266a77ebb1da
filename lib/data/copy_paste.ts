/**
 * Copy-paste (utils/augmentations.py `copy_paste`, https://arxiv.org/abs/2012.07177), box-level variant.
 *
 * The official function needs polygon labels: it mirrors every object left-right inside the mosaic, keeps
 * the mirrored boxes that cover less than 30% of every existing box (intersection / existing-box area),
 * pastes `round(p n)` of them chosen at random through their polygon mask, and adds their labels. With
 * boxes only it does nothing. Our reading for box labels: the same selection, but the pasted mask is the
 * object's whole (mirrored) box, i.e. the box crop of the object is copied, mirrored, to the mirrored
 * position, which in a 4-image mosaic usually lies in another of the four source images.
 * @module
 */
import { checkImage, type RgbImage } from "./image.ts";
import { bboxIoa, concatLabels } from "./boxes.ts";
import { pyRound } from "./letterbox.ts";
import { type Rng, rngSample } from "./rng.ts";

/** Box-level copy-paste on pixel `[c, x1, y1, x2, y2]` rows; returns a new image and the extended labels. */
export function copyPasteBoxes(
  img: RgbImage,
  labels: Float32Array,
  rng: Rng,
  opts: { p: number; ioaThr?: number },
): { image: RgbImage; labels: Float32Array } {
  checkImage(img, "copyPasteBoxes");
  const n = labels.length / 5;
  if (!opts.p || !n) return { image: img, labels };
  const w = img.width, h = img.height, thr = opts.ioaThr ?? 0.3;
  const existing = new Float32Array(4 * n);
  const mirrored = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    const [x1, y1, x2, y2] = labels.subarray(5 * i + 1, 5 * i + 5);
    existing.set([x1, y1, x2, y2], 4 * i);
    mirrored.set([w - x2, y1, w - x1, y2], 4 * i);
  }
  const candidates: number[] = [];
  for (let i = 0; i < n; i++) {
    if (bboxIoa(mirrored.subarray(4 * i, 4 * i + 4), existing).every((v) => v < thr)) candidates.push(i);
  }
  const chosen = rngSample(rng, candidates, pyRound(opts.p * candidates.length));
  if (!chosen.length) return { image: img, labels };
  const out = img.pixels.slice();
  const added: number[] = [];
  for (const j of chosen) {
    const [bx1, by1, bx2, by2] = mirrored.subarray(4 * j, 4 * j + 4);
    added.push(labels[5 * j], bx1, by1, bx2, by2);
    const xa = Math.max(0, Math.round(bx1)), xb = Math.min(w, Math.round(bx2));
    const ya = Math.max(0, Math.round(by1)), yb = Math.min(h, Math.round(by2));
    for (let y = ya; y < yb; y++) {
      for (let x = xa; x < xb; x++) {
        const d = (y * w + x) * 3, s = (y * w + (w - 1 - x)) * 3;
        out[d] = img.pixels[s];
        out[d + 1] = img.pixels[s + 1];
        out[d + 2] = img.pixels[s + 2];
      }
    }
  }
  return {
    image: { pixels: out, width: w, height: h },
    labels: concatLabels([labels, new Float32Array(added)]),
  };
}
