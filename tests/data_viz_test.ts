// Drawing for previews: box outlines, label tags in the 5x7 font, image grids, PNG round trip.
import assert from "node:assert/strict";
import { drawBoxes, drawText, tileGrid } from "../lib/viz/draw.ts";
import { glyph } from "../lib/viz/font5x7.ts";
import { encodePng } from "../lib/viz/png.ts";
import { decodeImage } from "../lib/data/image_io.ts";
import type { RgbImage } from "../lib/data/image.ts";

const at = (
  p: Uint8Array,
  w: number,
  x: number,
  y: number,
) => [...p.subarray((y * w + x) * 3, (y * w + x) * 3 + 3)];

Deno.test("drawBoxes() draws the outline only, on a copy", () => {
  const src = new Uint8Array(20 * 20 * 3);
  const out = drawBoxes(src, 20, 20, [4, 4, 15, 15], [""], [[255, 0, 0]], { lineWidth: 1 });
  assert.ok(src.every((v) => v === 0));
  for (const [x, y] of [[4, 4], [14, 4], [4, 14], [14, 14], [9, 4], [4, 9], [14, 9], [9, 14]]) {
    assert.deepEqual(at(out, 20, x, y), [255, 0, 0], `(${x}, ${y})`);
  }
  for (const [x, y] of [[9, 9], [5, 5], [3, 3], [15, 15], [13, 13]]) {
    assert.deepEqual(at(out, 20, x, y), [0, 0, 0]);
  }
});

Deno.test("drawBoxes() puts a filled tag with the text above the box, dark text on a light colour", () => {
  const out = drawBoxes(new Uint8Array(20 * 20 * 3), 20, 20, [2, 12, 18, 19], ["7"], [[255, 255, 0]], {
    lineWidth: 1,
    fontScale: 1,
  });
  // tag 7 x 9 at (2, 3); the glyph's top row (0x1f) at y = 4, x = 3..7
  assert.deepEqual(at(out, 20, 2, 3), [255, 255, 0]);
  assert.deepEqual(at(out, 20, 8, 11), [255, 255, 0]);
  for (let x = 3; x <= 7; x++) assert.deepEqual(at(out, 20, x, 4), [0, 0, 0]);
  assert.deepEqual(at(out, 20, 9, 4), [0, 0, 0]); // right of the tag: untouched background
  assert.deepEqual(glyph("a"), glyph("A"));
  assert.deepEqual(glyph("\u00e9"), glyph("?"));
  const px = new Uint8Array(12 * 7 * 3);
  assert.equal(drawText(px, { width: 12, height: 7 }, { x: 0, y: 0 }, "11", { color: [9, 9, 9] }), 12);
  assert.deepEqual(at(px, 12, 2, 0), [9, 9, 9]); // "1" top row 0x04: middle pixel
  assert.deepEqual(at(px, 12, 8, 0), [9, 9, 9]);
});

Deno.test("tileGrid() lays images out row by row with gaps", () => {
  const img = (v: number): RgbImage => ({ pixels: new Uint8Array(12).fill(v), width: 2, height: 2 });
  const g = tileGrid([img(10), img(20), img(30)], { gap: 1 });
  assert.deepEqual([g.width, g.height], [5, 5]);
  assert.deepEqual([at(g.pixels, 5, 0, 0)[0], at(g.pixels, 5, 3, 1)[0], at(g.pixels, 5, 1, 3)[0]], [
    10,
    20,
    30,
  ]);
  assert.deepEqual([at(g.pixels, 5, 2, 0)[0], at(g.pixels, 5, 4, 4)[0]], [255, 255]);
});

Deno.test("encodePng() round-trips through decodeImage()", async () => {
  const img: RgbImage = {
    pixels: Uint8Array.from({ length: 7 * 5 * 3 }, (_, i) => (i * 37) % 256),
    width: 7,
    height: 5,
  };
  const back = await decodeImage(await encodePng(img));
  assert.deepEqual([back.width, back.height], [7, 5]);
  assert.deepEqual([...back.pixels], [...img.pixels]);
});

Deno.test("decodeImage() applies the EXIF orientation (6: rotate 90 degrees clockwise)", async () => {
  const { default: sharp } = await import("npm:sharp@0.35.5");
  const pixels = new Uint8Array(16 * 8 * 3);
  for (let i = 0; i < 16 * 8; i++) pixels.set((i % 16) < 8 ? [250, 0, 0] : [0, 0, 250], 3 * i); // left red, right blue
  const jpg = await sharp(pixels, { raw: { width: 16, height: 8, channels: 3 } }).jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 }).toBuffer();
  const img = await decodeImage(new Uint8Array(jpg));
  assert.deepEqual([img.width, img.height], [8, 16]);
  const top = at(img.pixels, 8, 4, 2), bottom = at(img.pixels, 8, 4, 13);
  assert.ok(top[0] > 200 && top[2] < 50 && bottom[2] > 200 && bottom[0] < 50, `${top} ${bottom}`);
});
