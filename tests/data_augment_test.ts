// Augmentations on tiny images against hand-computed geometry: letterbox, flips, mosaic placement, affine
// (pure translation / scale), box candidates, copy-paste, mixup, HSV, and the seeded generator.
import assert from "node:assert/strict";
import type { RgbImage } from "../lib/data/image.ts";
import { letterbox } from "../lib/data/letterbox.ts";
import { boxCandidates, xywhnToXyxy, xyxyToXywhn } from "../lib/data/boxes.ts";
import { flipImageLr, flipImageUd, flipLabelsLr, flipLabelsUd } from "../lib/data/flip.ts";
import { mosaic4 } from "../lib/data/mosaic.ts";
import { randomPerspective, samplePerspective, transformLabels, warpImage } from "../lib/data/affine.ts";
import { copyPasteBoxes } from "../lib/data/copy_paste.ts";
import { blendImages } from "../lib/data/mixup.ts";
import { applyHsvGains, hsvToRgb8, rgbToHsv8 } from "../lib/data/hsv.ts";
import { resizeImage } from "../lib/data/resize.ts";
import { trainSample } from "../lib/data/train_sample.ts";
import { createRng, mixSeed, rngBeta, rngFloat, rngInt, rngShuffle } from "../lib/data/rng.ts";

/** w x h image whose pixel (x, y) is [f(x, y), g(x, y), tag]. */
function pattern(
  w: number,
  h: number,
  tag: number,
  f = (x: number, _y: number) => x,
  g = (_x: number, y: number) => y,
): RgbImage {
  const pixels = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) pixels.set([f(x, y), g(x, y), tag], (y * w + x) * 3);
  }
  return { pixels, width: w, height: h };
}
const px = (
  img: RgbImage,
  x: number,
  y: number,
) => [...img.pixels.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
const close = (a: ArrayLike<number>, b: number[], tol = 1e-4) =>
  assert.ok(
    a.length === b.length && b.every((v, i) => Math.abs(a[i] - v) <= tol),
    `${Array.from(a)} != ${b}`,
  );

Deno.test("letterbox() scales by min ratio, pads with 114 as round(d - 0.1) / round(d + 0.1)", () => {
  const img: RgbImage = { pixels: new Uint8Array(40 * 20 * 3).fill(200), width: 40, height: 20 };
  const a = letterbox(img, [32, 32]);
  assert.equal(a.ratio, 0.8);
  assert.deepEqual(a.pad, [0, 8]);
  assert.deepEqual([a.image.width, a.image.height], [32, 32]);
  assert.deepEqual(px(a.image, 5, 7), [114, 114, 114]);
  assert.deepEqual(px(a.image, 5, 8), [200, 200, 200]);
  assert.deepEqual(px(a.image, 31, 23), [200, 200, 200]);
  assert.deepEqual(px(a.image, 0, 24), [114, 114, 114]);
  // a centred box of the original maps through ratio and pad
  close(xywhnToXyxy(Float32Array.of(3, 0.5, 0.5, 0.5, 0.5), a.ratio * 40, a.ratio * 20, ...a.pad), [
    3,
    8,
    12,
    24,
    20,
  ]);
  // odd padding: 10x7 -> 16x16, r = 1.6, resized 16x11, dh = 2.5 -> top 2, bottom 3
  const b = letterbox({ pixels: new Uint8Array(10 * 7 * 3), width: 10, height: 7 }, [16, 16]);
  assert.deepEqual([b.pad, b.image.width, b.image.height], [[0, 2], 16, 16]);
  assert.deepEqual(px(b.image, 0, 1), [114, 114, 114]);
  assert.deepEqual(px(b.image, 0, 2), [0, 0, 0]);
  assert.deepEqual(px(b.image, 0, 12), [0, 0, 0]);
  assert.deepEqual(px(b.image, 0, 13), [114, 114, 114]);
  // no enlarging (validation): 10x10 into 32x32 stays 10x10, centred at 11
  const c = letterbox({ pixels: new Uint8Array(300), width: 10, height: 10 }, [32, 32], { scaleup: false });
  assert.deepEqual([c.ratio, c.pad], [1, [11, 11]]);
  // auto: pad only to a multiple of the stride
  const d = letterbox(img, [64, 64], { auto: true, stride: 32 });
  assert.deepEqual([d.image.width, d.image.height, d.pad], [64, 32, [0, 0]]);
});

Deno.test("resizeImage() bilinear reproduces a linear ramp with cv2's half-pixel mapping", () => {
  const ramp = pattern(4, 1, 0, (x) => 40 * x + 20, () => 0); // 20, 60, 100, 140
  const up = resizeImage(ramp, 8, 1);
  // dst x -> src (x + 0.5) / 2 - 0.5, clamped at the borders
  assert.deepEqual([...Array(8).keys()].map((x) => px(up, x, 0)[0]), [20, 30, 50, 70, 90, 110, 130, 140]);
  const down = resizeImage(pattern(4, 4, 0, (x) => 40 * x, () => 0), 2, 2, { interpolation: "area" });
  assert.deepEqual([px(down, 0, 0)[0], px(down, 1, 1)[0]], [20, 100]);
});

Deno.test("flips mirror pixels and labels (cx -> 1 - cx, cy -> 1 - cy)", () => {
  const img = pattern(3, 2, 9);
  assert.deepEqual(px(flipImageLr(img), 0, 1), [2, 1, 9]);
  assert.deepEqual(px(flipImageUd(img), 2, 0), [2, 1, 9]);
  close(flipLabelsLr(Float32Array.of(1, 0.2, 0.3, 0.1, 0.1)), [1, 0.8, 0.3, 0.1, 0.1]);
  close(flipLabelsUd(Float32Array.of(1, 0.2, 0.3, 0.1, 0.1)), [1, 0.2, 0.7, 0.1, 0.1]);
});

Deno.test("mosaic4() places the tiles around the centre, crops them and clips their labels", () => {
  const full = Float32Array.of(0, 0.5, 0.5, 1, 1); // a box covering its whole tile
  const tiles = [pattern(4, 6, 10), pattern(12, 12, 11), pattern(8, 8, 12), pattern(4, 4, 13)].map((
    image,
    i,
  ) => ({
    image,
    labels: full.map((v, k) => (k === 0 ? i : v)),
  }));
  const m = mosaic4(tiles, 8, { xc: 6, yc: 10 });
  assert.deepEqual([m.image.width, m.image.height], [16, 16]);
  close(m.labels, [0, 2, 4, 6, 10, 1, 6, 0, 16, 10, 2, 0, 10, 6, 16, 3, 6, 10, 10, 14]);
  assert.deepEqual(px(m.image, 0, 0), [114, 114, 114]); // left of tile 0
  assert.deepEqual(px(m.image, 2, 4), [0, 0, 10]); // tile 0 at (2, 4), uncropped
  assert.deepEqual(px(m.image, 7, 1), [1, 3, 11]); // tile 1 cropped by 2 rows at the top
  assert.deepEqual(px(m.image, 0, 10), [2, 0, 12]); // tile 2 cropped by 2 columns at the left
  assert.deepEqual(px(m.image, 9, 13), [3, 3, 13]); // tile 3 at (6, 10)
  assert.deepEqual(px(m.image, 12, 12), [114, 114, 114]); // right of tile 3
});

Deno.test("transformLabels() and warpImage() with a pure translation / scale", () => {
  const shift = { matrix: new Float64Array([1, 0, 3, 0, 1, -2, 0, 0, 1]), scale: 1, width: 14, height: 10 };
  const lb = Float32Array.of(1, 1, 1, 5, 5, 2, 10, 10, 13, 13);
  // [1,1,5,5] -> [4,-1,8,3] clipped [4,0,8,3]; [10,10,13,13] -> [13,8,16,11] clipped [13,8,14,10]: 1 px wide, dropped
  close(transformLabels(lb, shift), [1, 4, 0, 8, 3]);
  const img = pattern(8, 6, 7);
  const w = warpImage(img, shift.matrix, shift);
  assert.deepEqual(px(w, 3, 0), [0, 2, 7]); // out (x, y) = src (x - 3, y + 2)
  assert.deepEqual(px(w, 10, 3), [7, 5, 7]);
  assert.deepEqual(px(w, 2, 0), [114, 114, 114]);
  assert.deepEqual(px(w, 11, 0), [114, 114, 114]);
  const zoom = { matrix: new Float64Array([2, 0, 0, 0, 2, 0, 0, 0, 1]), scale: 2, width: 16, height: 12 };
  close(transformLabels(Float32Array.of(4, 1, 2, 3, 5), zoom), [4, 2, 4, 6, 10]);
  const ramp = pattern(8, 6, 0, (x) => 20 * x, (_x, y) => 30 * y);
  const z = warpImage(ramp, zoom.matrix, zoom);
  assert.deepEqual(px(z, 5, 7), [50, 105, 0]); // src (2.5, 3.5): bilinear of a linear ramp is exact
  // box_candidates: shrunk below 10 % of its scaled area, too thin, too elongated
  assert.deepEqual(
    boxCandidates(
      Float64Array.of(0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 10),
      Float64Array.of(0, 0, 3, 3, 0, 0, 4, 4, 0, 0, 2, 9, 0, 0, 2.5, 300),
    ),
    [false, true, false, false],
  );
});

Deno.test("samplePerspective() composes T S R P C: the source centre lands on the drawn translation", () => {
  const hyp = { degrees: 10, translate: 0.1, scale: 0.5, shear: 0, perspective: 0 };
  const draw = samplePerspective(createRng(3), { width: 64, height: 32 }, hyp, [-8, -16]);
  assert.deepEqual([draw.width, draw.height], [32, 16]);
  // replay the draws: perspective x2, angle, scale, shear x2, translation x2
  const r = createRng(3);
  const u = Array.from({ length: 8 }, () => rngFloat(r));
  const a = ((-10 + 20 * u[2]) * Math.PI) / 180, s = 0.5 + u[3];
  const [tx, ty] = [(0.4 + 0.2 * u[6]) * 32, (0.4 + 0.2 * u[7]) * 16];
  const m = draw.matrix;
  close(
    [m[0], m[1], m[3], m[4]],
    [s * Math.cos(a), s * Math.sin(a), -s * Math.sin(a), s * Math.cos(a)],
    1e-9,
  );
  close([m[0] * 32 + m[1] * 16 + m[2], m[3] * 32 + m[4] * 16 + m[5]], [tx, ty], 1e-9);
  assert.equal(draw.scale, s);
  // all strengths 0 and no border: identity, image untouched
  const img = pattern(5, 5, 1);
  const id = randomPerspective(img, Float32Array.of(0, 1, 1, 4, 4), createRng(0), {
    hyp: { degrees: 0, translate: 0, scale: 0, shear: 0, perspective: 0 },
  });
  assert.equal(id.image, img);
  close(id.labels, [0, 1, 1, 4, 4]);
});

Deno.test("copyPasteBoxes() pastes the mirrored box crop where it overlaps no box by >= 30 %", () => {
  const img = pattern(20, 10, 0);
  const one = copyPasteBoxes(img, Float32Array.of(5, 2, 2, 6, 6), createRng(0), { p: 1 });
  close(one.labels, [5, 2, 2, 6, 6, 5, 14, 2, 18, 6]);
  for (let y = 2; y < 6; y++) {
    for (let x = 14; x < 18; x++) assert.deepEqual(px(one.image, x, y), [19 - x, y, 0]);
  }
  assert.deepEqual(px(one.image, 13, 2), [13, 2, 0]);
  assert.deepEqual(px(one.image, 18, 6), [18, 6, 0]);
  // the mirrored place of box 0 is covered by box 1 (and vice versa): nothing pasted
  const two = copyPasteBoxes(img, Float32Array.of(1, 2, 2, 6, 6, 2, 14, 2, 18, 6), createRng(0), { p: 1 });
  assert.equal(two.labels.length, 10);
  assert.equal(two.image, img);
  assert.equal(copyPasteBoxes(img, Float32Array.of(5, 2, 2, 6, 6), createRng(0), { p: 0 }).labels.length, 5);
});

Deno.test("mixup blends with truncation; Beta(32, 32) draws have mean 0.5 and sd 0.062", () => {
  const a: RgbImage = { pixels: Uint8Array.of(100, 200, 0), width: 1, height: 1 };
  const b: RgbImage = { pixels: Uint8Array.of(0, 101, 255), width: 1, height: 1 };
  assert.deepEqual([...blendImages(a, b, 0.3).pixels], [30, 130, 178]); // 0.7 * 255 = 178.5 -> 178
  const rng = createRng(1);
  const xs = Array.from({ length: 4000 }, () => rngBeta(rng, 32, 32));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
  assert.ok(Math.abs(mean - 0.5) < 0.005 && Math.abs(sd - 0.062) < 0.004, `${mean} ${sd}`);
});

Deno.test("HSV: OpenCV 8-bit conversions and the augment_hsv lookup tables", () => {
  assert.deepEqual(rgbToHsv8(255, 0, 0), [0, 255, 255]);
  assert.deepEqual(rgbToHsv8(0, 255, 0), [60, 255, 255]);
  assert.deepEqual(rgbToHsv8(0, 0, 255), [120, 255, 255]);
  assert.deepEqual(rgbToHsv8(255, 255, 0), [30, 255, 255]);
  assert.deepEqual(rgbToHsv8(100, 100, 100), [0, 0, 100]);
  assert.deepEqual(hsvToRgb8(120, 255, 255), [0, 0, 255]);
  const img: RgbImage = {
    pixels: Uint8Array.of(255, 255, 0, 100, 100, 100, 200, 100, 50),
    width: 3,
    height: 1,
  };
  // hue x2 turns yellow (30) into green (60); grey has no saturation
  assert.deepEqual([...applyHsvGains(img, [2, 1, 1]).pixels.subarray(0, 6)], [0, 255, 0, 100, 100, 100]);
  assert.deepEqual([...applyHsvGains(img, [1, 1, 0.5]).pixels.subarray(3, 6)], [50, 50, 50]);
  assert.deepEqual([...applyHsvGains(img, [1, 0, 1]).pixels.subarray(6, 9)], [200, 200, 200]);
  // unit gains: the 8-bit round trip (H quantised to 2 degrees) stays within 5 levels over the RGB cube
  const rng = createRng(5);
  const rnd: RgbImage = {
    pixels: Uint8Array.from({ length: 3000 }, () => rngInt(rng, 0, 255)),
    width: 1000,
    height: 1,
  };
  const same = applyHsvGains(rnd, [1, 1, 1]);
  assert.ok(rnd.pixels.every((v, i) => Math.abs(v - same.pixels[i]) <= 5));
});

Deno.test("rng: equal seeds give equal streams, mixSeed separates streams, ranges are inclusive", () => {
  const a = createRng(42), b = createRng(42), c = createRng(mixSeed(42, 1));
  const sa = Array.from({ length: 5 }, () => rngFloat(a));
  assert.deepEqual(sa, Array.from({ length: 5 }, () => rngFloat(b)));
  assert.notDeepEqual(sa, Array.from({ length: 5 }, () => rngFloat(c)));
  assert.notEqual(mixSeed(0, 1, 2), mixSeed(0, 2, 1));
  const r = createRng(7);
  const seen = new Set(Array.from({ length: 200 }, () => rngInt(r, 3, 5)));
  assert.deepEqual([...seen].sort(), [3, 4, 5]);
  assert.deepEqual(rngShuffle(r, [0, 1, 2, 3, 4, 5]).sort(), [0, 1, 2, 3, 4, 5]);
  close(xyxyToXywhn(Float32Array.of(1, -5, 0, 10, 5), 10, 10), [
    1,
    (10 - 1e-3) / 20,
    0.25,
    (10 - 1e-3) / 10,
    0.5,
  ]);
});

Deno.test("trainSample() without mosaic, scale, translate, HSV and with fliplr 1 is the mirrored letterbox", async () => {
  const image = pattern(16, 8, 5);
  const src = {
    length: 1,
    get: () =>
      Promise.resolve({
        image,
        labels: Float32Array.of(2, 0.25, 0.5, 0.25, 0.5),
        orig: [8, 16] as [number, number],
        ratio: 1,
      }),
  };
  const hyp = {
    mosaic: 0,
    mixup: 0,
    degrees: 0,
    translate: 0,
    scale: 0,
    shear: 0,
    perspective: 0,
    hsv_h: 0,
    hsv_s: 0,
    hsv_v: 0,
    flipud: 0,
    fliplr: 1,
    copy_paste: 0,
  };
  const s = await trainSample(src, 0, createRng(0), { img: 32, hyp });
  // letterbox 16x8 -> 32x16 at (0, 8); box x 2..6 -> 4..12 px, y 2..6 -> 12..20 px; mirrored: x 20..28
  close(s.labels, [2, 0.75, 0.5, 0.25, 0.25]);
  assert.deepEqual(s.shape, { orig: [8, 16], ratio: 2, pad: [0, 8] });
  const lb = letterbox(image, [32, 32]).image;
  assert.deepEqual(px(s.image, 31, 10), px(lb, 0, 10));
  assert.deepEqual(px(s.image, 3, 20), px(lb, 28, 20));
});
