// The disk image cache (lib/data/image_pack.ts): loadDataset(..., { cache: "disk" }) packs the decoded
// images once, later loads serve them from the pack while each file keeps its size and mtime, and an
// unusable pack, a changed image or the size limit are handled with a warning instead of a crash.
import assert from "node:assert/strict";
import { loadDataset } from "../lib/data/dataset.ts";
import { decodeImage } from "../lib/data/image_io.ts";
import { decodeImagePack, encodeImagePack, imagePackPath } from "../lib/data/image_pack.ts";
import { encodePng } from "../lib/viz/png.ts";
import type { RgbImage } from "../lib/data/image.ts";

function image(w: number, h: number, seed: number): RgbImage {
  const pixels = new Uint8Array(w * h * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 13 + seed * 41) % 256;
  return { pixels, width: w, height: h };
}

/** A dataset with 3 PNG train images of different sizes (labels on two) and the same folder as val. */
async function makeDataset(): Promise<{ root: string; yaml: string; images: string[] }> {
  const root = await Deno.makeTempDir({ prefix: "yolo_pack_test_" });
  await Deno.mkdir(`${root}/images/train`, { recursive: true });
  await Deno.mkdir(`${root}/labels/train`, { recursive: true });
  const images: string[] = [];
  for (const [i, [w, h]] of [[24, 16], [16, 24], [20, 20]].entries()) {
    images.push(`${root}/images/train/im${i}.png`);
    await Deno.writeFile(images[i], await encodePng(image(w, h, i)));
    if (i < 2) await Deno.writeTextFile(`${root}/labels/train/im${i}.txt`, `${i} 0.5 0.5 0.4 0.4\n`);
  }
  const yaml = `${root}/d.yaml`;
  await Deno.writeTextFile(yaml, "path: .\ntrain: images/train\nval: images/train\nnames: {0: a, 1: b}\n");
  return { root, yaml, images };
}

async function pixelsOf(yaml: string, opts: Parameters<typeof loadDataset>[2] = { cache: "disk" }) {
  const ds = await loadDataset(yaml, "train", opts);
  const out = [];
  for (let i = 0; i < ds.length; i++) out.push(await ds.load(i));
  return { ds, samples: out };
}

Deno.test("cache disk: the first load writes the pack, later loads serve the decoded pixels and labels from it", async () => {
  const { root, yaml, images } = await makeDataset();
  try {
    const first = await pixelsOf(yaml);
    const pack = imagePackPath(images[0]);
    assert.equal(pack, `${root}/images/train.rgb-pack`);
    assert.ok((await Deno.stat(pack)).size > 0);
    for (const [i, s] of first.samples.entries()) {
      const ref = await decodeImage(images[i]);
      assert.deepEqual([s.width, s.height], [ref.width, ref.height]);
      assert.deepEqual(s.pixels, ref.pixels);
    }
    // Overwrite an image with garbage of the same size and restore its mtime: a second load must not
    // probe or decode it (it would be reported corrupt), so its pixels can only come from the pack.
    const st = await Deno.stat(images[1]);
    await Deno.writeFile(images[1], new Uint8Array(st.size).fill(7));
    await Deno.utime(images[1], st.atime!, st.mtime!);
    const second = await pixelsOf(yaml);
    assert.equal(second.ds.length, 3);
    assert.deepEqual(second.samples.map((s) => [...s.labels]), first.samples.map((s) => [...s.labels]));
    assert.deepEqual(second.samples[1].pixels, first.samples[1].pixels);
    // A new mtime makes the entry stale: the file is checked again and found corrupt.
    await Deno.utime(images[1], st.atime!, new Date(st.mtime!.getTime() + 5000));
    const third = await loadDataset(yaml, "train", { cache: "disk" });
    assert.equal(third.length, 2);
    assert.ok(third.warnings.some((w) => w.file === images[1] && /corrupt/.test(w.message)));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cache disk: a truncated pack is named in a warning and rebuilt; the size limit skips writing it", async () => {
  const { root, yaml, images } = await makeDataset();
  try {
    const first = await pixelsOf(yaml);
    const pack = imagePackPath(images[0]);
    const bytes = await Deno.readFile(pack);
    await Deno.writeFile(pack, bytes.subarray(0, bytes.length - 100));
    const again = await pixelsOf(yaml);
    assert.ok(again.ds.warnings.some((w) => w.file === pack && /rebuilding/.test(w.message)));
    assert.deepEqual(again.samples.map((s) => s.pixels), first.samples.map((s) => s.pixels));
    assert.equal((await Deno.stat(pack)).size, bytes.length);
    await Deno.remove(pack);
    const limited = await loadDataset(yaml, "train", { cache: "disk", packBytes: 100 });
    assert.ok(limited.warnings.some((w) => w.file === pack && /exceed the 100-byte limit/.test(w.message)));
    await assert.rejects(Deno.stat(pack), Deno.errors.NotFound);
    assert.deepEqual((await limited.load(2)).pixels, first.samples[2].pixels);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("decodeImagePack: round trip, and a clear error for a hostile header", () => {
  const im = { path: "a.png", size: 10, mtime: 5, image: image(3, 2, 1) };
  const packed = decodeImagePack(encodeImagePack([im, { ...im, path: "b.png", image: image(2, 2, 2) }]));
  assert.deepEqual(packed.get("a.png")!.image.pixels, im.image.pixels);
  assert.deepEqual(packed.get("b.png")!.image, image(2, 2, 2));
  const bytes = encodeImagePack([im]);
  const at = new TextDecoder("latin1").decode(bytes).indexOf('"offset":0');
  bytes[at + 9] = "9".charCodeAt(0); // the one entry now claims pixels past the end
  assert.throws(
    () => decodeImagePack(bytes, "x.rgb-pack"),
    /x\.rgb-pack: not a usable image pack: entry a\.png/,
  );
  assert.throws(
    () => decodeImagePack(new Uint8Array(40), "y"),
    /y: not a usable image pack: wrong magic line/,
  );
});
