// loadDataset() on a tiny on-disk dataset (folders, list files, COCO json, bad labels, corrupt images) and
// createLoader(): determinism, partial batches, normalised targets, validation shapes, flat memory.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../lib/backend/backend.ts";
import { loadDataset } from "../lib/data/dataset.ts";
import { createLoader, epochOrder } from "../lib/data/loader.ts";
import { HYP_SCRATCH_HIGH } from "../lib/data/hyp.ts";
import { createByteLru } from "../lib/data/cache.ts";
import { encodeJpeg } from "../lib/data/image_io.ts";
import { encodePng } from "../lib/viz/png.ts";
import type { RgbImage } from "../lib/data/image.ts";
import type { Batch, LoaderOptions } from "../lib/data/types.ts";
import type { DataWarning } from "../lib/data/labels.ts";

await initBackend("cpu", { quiet: true });

function image(w: number, h: number, seed: number): RgbImage {
  const pixels = new Uint8Array(w * h * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31 + seed * 17) % 251;
  return { pixels, width: w, height: h };
}

/** A dataset folder: 6 train images (one corrupt, one truncated JPEG, one without labels), val list, COCO test. */
async function makeDataset(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "yolo_data_test_" });
  for (const d of ["images/train", "labels/train", "images/test", "annotations"]) {
    await Deno.mkdir(`${root}/${d}`, { recursive: true });
  }
  const sizes: [number, number][] = [[40, 30], [30, 40], [32, 32], [50, 20]];
  for (const [i, [w, h]] of sizes.entries()) {
    await Deno.writeFile(`${root}/images/train/im${i}.png`, await encodePng(image(w, h, i)));
  }
  await Deno.writeTextFile(`${root}/labels/train/im0.txt`, "0 0.5 0.5 0.5 0.4\n1 0.25 0.25 0.3 0.3\n");
  await Deno.writeTextFile(
    `${root}/labels/train/im1.txt`,
    "1 0.5 0.5 0.6 0.6\n1 0.5 0.5 0.6 0.6\n5 0.5 0.5 0.1 0.1\n",
  );
  await Deno.writeTextFile(`${root}/labels/train/im2.txt`, "2 0.3 0.6 0.4 0.5\n");
  // im3 has no label file (background)
  await Deno.writeFile(`${root}/images/train/bad.jpg`, new TextEncoder().encode("not an image at all"));
  const jpg = await encodeJpeg(image(40, 40, 9));
  await Deno.writeFile(`${root}/images/train/trunc.jpg`, jpg.slice(0, Math.floor(jpg.length * 0.6)));
  await Deno.writeTextFile(`${root}/val.txt`, "./images/train/im0.png\nimages/train/im2.png\n");
  await Deno.writeFile(`${root}/images/test/x.png`, await encodePng(image(20, 10, 3)));
  await Deno.writeTextFile(
    `${root}/annotations/instances_test.json`,
    JSON.stringify({
      images: [{ id: 1, file_name: "x.png", width: 20, height: 10 }],
      categories: [{ id: 3, name: "c" }, { id: 1, name: "a" }, { id: 2, name: "b" }],
      annotations: [{ id: 1, image_id: 1, category_id: 3, bbox: [2, 2, 4, 4] }],
    }),
  );
  await Deno.writeTextFile(
    `${root}/d.yaml`,
    "path: .\ntrain: images/train\nval: val.txt\ntest: annotations/instances_test.json\nnames: {0: a, 1: b, 2: c}\n",
  );
  return root;
}

const root = await makeDataset();
const hyp = { ...HYP_SCRATCH_HIGH };
const opts = (o: Partial<LoaderOptions> = {}): LoaderOptions => ({
  batch: 2,
  img: 32,
  stride: 32,
  augment: true,
  hyp,
  seed: 0,
  epoch: 0,
  shuffle: true,
  ...o,
});
async function collect(
  it: AsyncIterable<Batch>,
): Promise<{ images: Float32Array; targets: Float32Array; paths: string[]; shapes: Batch["shapes"] }[]> {
  const out = [];
  for await (const b of it) {
    out.push({
      images: b.images.dataSync() as Float32Array,
      targets: b.targets,
      paths: b.paths,
      shapes: b.shapes,
    });
    b.images.dispose();
  }
  return out;
}

Deno.test("loadDataset() skips corrupt images with warnings and reports label problems with file:line", async () => {
  const ds = await loadDataset(`${root}/d.yaml`, "train");
  assert.equal(ds.length, 4);
  assert.deepEqual(ds.paths.map((p) => p.split("/").pop()), ["im0.png", "im1.png", "im2.png", "im3.png"]);
  assert.deepEqual(ds.names, ["a", "b", "c"]);
  const img = ds.warnings.filter((w) => w.kind === "image").map((w) => w.file.split("/").pop()).sort();
  assert.deepEqual(img, ["bad.jpg", "trunc.jpg"]);
  const dup = ds.warnings.find((w) => w.kind === "duplicate")!;
  assert.equal(dup.line, 2);
  assert.ok(dup.message.startsWith(`${root}/labels/train/im1.txt:2: `));
  const cls = ds.warnings.find((w) => w.kind === "class")!;
  assert.equal(cls.line, 3);
  assert.deepEqual(
    { ...ds.summary },
    {
      images: 4,
      labelFiles: 3,
      missingLabels: 1,
      emptyLabels: 0,
      corruptImages: 2,
      labels: 4,
      droppedRows: 1,
      duplicateRows: 1,
      filteredImages: 0,
      orphanLabels: 0,
    },
  );
  assert.deepEqual(ds.sizes, [[30, 40], [40, 30], [32, 32], [20, 50]]);
  const s = await ds.load(3);
  assert.deepEqual([s.width, s.height, s.labels.length], [50, 20, 0]);
  assert.equal(await ds.load(3), s); // cached
});

Deno.test("loadDataset() reads list files (relative lines) and COCO json splits", async () => {
  const val = await loadDataset(`${root}/d.yaml`, "val");
  assert.deepEqual(val.paths, [`${root}/images/train/im0.png`, `${root}/images/train/im2.png`]);
  const test = await loadDataset(`${root}/d.yaml`, "test");
  assert.deepEqual(test.paths, [`${root}/images/test/x.png`]);
  // categories sorted by id: 1 a, 2 b, 3 c -> class 2
  assert.deepEqual([...test.labels(0)], [2, 0.2, 0.4, 0.2, 0.4].map(Math.fround));
  await assert.rejects(() => loadDataset(`${root}/nope.yaml`, "train"), /nope\.yaml/);
});

Deno.test("createLoader() is deterministic per (seed, epoch), keeps the last partial batch, normalises targets", async () => {
  const ds = await loadDataset(`${root}/d.yaml`, "train");
  const a = await collect(createLoader(ds, opts()));
  const b = await collect(createLoader(ds, opts()));
  assert.equal(a.length, 2);
  assert.deepEqual(a.map((x) => x.paths.length), [2, 2]);
  assert.deepEqual(a, b);
  const c = await collect(createLoader(ds, opts({ epoch: 1 })));
  assert.notDeepEqual(c.map((x) => x.images), a.map((x) => x.images));
  const three = await collect(createLoader(ds, opts({ batch: 3, mosaic: false })));
  assert.deepEqual(three.map((x) => x.paths.length), [3, 1]);
  for (const batch of [...a, ...three]) {
    assert.equal(batch.images.length, batch.paths.length * 32 * 32 * 3);
    assert.ok(batch.images.every((v) => v >= 0 && v <= 1));
    for (let r = 0; r < batch.targets.length; r += 6) {
      const [i, c, cx, cy, w, h] = batch.targets.subarray(r, r + 6);
      assert.ok(Number.isInteger(i) && i < batch.paths.length && [0, 1, 2].includes(c));
      assert.ok(
        cx - w / 2 >= -1e-6 && cx + w / 2 <= 1 + 1e-6 && cy - h / 2 >= -1e-6 && cy + h / 2 <= 1 + 1e-6,
      );
    }
  }
  assert.deepEqual(epochOrder(4, { seed: 0, epoch: 0, shuffle: false }), [0, 1, 2, 3]);
  assert.deepEqual(epochOrder(4, { seed: 0, epoch: 0, shuffle: true }).sort(), [0, 1, 2, 3]);
});

Deno.test("validation batches letterbox without augmentation; shapes map boxes back to original pixels", async () => {
  const ds = await loadDataset(`${root}/d.yaml`, "train");
  const [batch] = await collect(
    createLoader(ds, opts({ augment: false, shuffle: false, batch: 4, img: 64 })),
  );
  for (let r = 0; r < batch.targets.length; r += 6) {
    const [i, , cx, cy, w, h] = batch.targets.subarray(r, r + 6);
    const { orig, ratio, pad } = batch.shapes[i];
    const back = [(cx - w / 2) * 64, (cy - h / 2) * 64, (cx + w / 2) * 64, (cy + h / 2) * 64].map((v, k) =>
      (v - pad[k % 2]) / ratio
    );
    const lb = ds.labels(i),
      row = [...lb].findIndex((_, k) =>
        k % 5 === 0 && Math.abs(lb[k + 1] * orig[1] - (back[0] + back[2]) / 2) < 1
      );
    assert.ok(row >= 0, `box of image ${i} not found`);
    const [ocx, ocy, ow, oh] = lb.subarray(row + 1, row + 5);
    const expect = [
      (ocx - ow / 2) * orig[1],
      (ocy - oh / 2) * orig[0],
      (ocx + ow / 2) * orig[1],
      (ocy + oh / 2) * orig[0],
    ];
    assert.ok(back.every((v, k) => Math.abs(v - expect[k]) < 1), `${back} vs ${expect}`);
  }
  // image 3 (50 x 20) -> 64 x 25.6: ratio 1.28, vertical padding
  assert.equal(batch.shapes[3].ratio, 1.28);
  assert.deepEqual(batch.shapes[3].orig, [20, 50]);
  assert.deepEqual(batch.shapes[3].pad, [0, 19]);
});

Deno.test("createLoader() keeps tensor memory flat and leaves an undecodable image out with a warning", async () => {
  const ds = await loadDataset(`${root}/d.yaml`, "train", { verify: "none" });
  assert.equal(ds.length, 6);
  const warnings: DataWarning[] = [];
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  for (const [epoch, augment] of [[0, true], [1, true], [2, true], [0, false]] as const) {
    const paths: string[] = [];
    for await (const b of createLoader(ds, { ...opts({ epoch, augment }), onWarning: (w) => warnings.push(w) })) {
      assert.equal(b.images.shape[0], b.paths.length);
      paths.push(...b.paths);
      b.images.dispose();
      counts.push(tf.memory().numTensors);
    }
    const names = paths.map((p) => p.split("/").pop()!);
    assert.deepEqual([names.length, new Set(names).size], [4, 4], `epoch ${epoch}: the 4 readable images once each: ${names}`);
    assert.ok(!names.includes("bad.jpg") && !names.includes("trunc.jpg"), `epoch ${epoch}: ${names}`);
  }
  assert.equal(tf.memory().numTensors, before);
  assert.ok(counts.every((c) => c === before));
  assert.deepEqual([...new Set(warnings.map((w) => w.file.split("/").pop()))].sort(), [
    "bad.jpg",
    "trunc.jpg",
  ]);
  assert.ok(warnings.every((w) => w.kind === "image" && /image skipped/.test(w.message)));
});

Deno.test("createByteLru() stays within its byte budget, evicting the least recently used", () => {
  const c = createByteLru<string>(10);
  c.set(1, "a", 4);
  c.set(2, "b", 4);
  assert.equal(c.get(1), "a"); // 1 is now the most recent
  c.set(3, "c", 4); // 12 > 10: evicts 2
  assert.deepEqual([c.get(2), c.get(1), c.get(3), c.size, c.bytes], [undefined, "a", "c", 2, 8]);
  c.set(4, "big", 11); // larger than the budget: not kept
  assert.deepEqual([c.get(4), c.size], [undefined, 2]);
});

Deno.test("cleanup: remove the temporary dataset", async () => {
  await Deno.remove(root, { recursive: true });
});
