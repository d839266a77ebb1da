// MNIST-Det: real MNIST digits, deterministic composition, boxes tight around the drawn ink, the on-disk
// dataset reproducible from its seed and generated on demand by loadDataset().
import assert from "node:assert/strict";
import { loadMnistDigits } from "../lib/data/mnist.ts";
import { composeMnistDet, INK_THRESHOLD, scaledDigit } from "../lib/data/mnist_det.ts";
import { ensureMnistDet, generateMnistDet } from "../lib/data/mnist_det_build.ts";
import { loadDataset } from "../lib/data/dataset.ts";
import { createRng } from "../lib/data/rng.ts";
import type { RgbImage } from "../lib/data/image.ts";

const digits = loadMnistDigits("test", 0, 50);
const grey: RgbImage = { pixels: new Uint8Array(96 * 96 * 3).fill(128), width: 96, height: 96 };

Deno.test("loadMnistDigits() reads the real MNIST test digits (first labels 7 2 1 0 4)", () => {
  assert.deepEqual([...digits.labels.subarray(0, 5)], [7, 2, 1, 0, 4]);
  assert.equal(digits.images.length, 50 * 784);
  // a handwritten digit: some full-ink pixels, mostly background
  const first = digits.images.subarray(0, 784);
  const ink = first.filter((v) => v > 0).length;
  assert.ok(ink > 50 && ink < 300 && Math.max(...first) === 255, `${ink}`);
});

Deno.test("scaledDigit() at 28 px is the digit itself with its tight box of ink >= threshold", () => {
  const { alpha, box } = scaledDigit(digits, 0, 28);
  let x1 = 28, y1 = 28, x2 = -1, y2 = -1;
  for (let i = 0; i < 784; i++) {
    const v = digits.images[i];
    assert.equal(alpha[i], v >= INK_THRESHOLD ? v : 0);
    if (v >= INK_THRESHOLD) {
      [x1, y1, x2, y2] = [
        Math.min(x1, i % 28),
        Math.min(y1, Math.floor(i / 28)),
        Math.max(x2, i % 28),
        Math.max(y2, Math.floor(i / 28)),
      ];
    }
  }
  assert.deepEqual(box, [x1, y1, x2 + 1, y2 + 1]);
});

Deno.test("composeMnistDet() is deterministic and its boxes are tight around the changed pixels", () => {
  const opts = { img: 96, minSize: 16, maxSize: 40, minDigits: 3, maxDigits: 5 };
  for (const seed of [0, 1, 2]) {
    const a = composeMnistDet([grey], digits, createRng(seed), opts);
    const b = composeMnistDet([grey], digits, createRng(seed), opts);
    assert.deepEqual(a, b);
    assert.ok(a.boxes.length >= 3 && a.boxes.length <= 5);
    const changed = (x: number, y: number) => a.image.pixels[(y * 96 + x) * 3] !== 128;
    for (let y = 0; y < 96; y++) {
      for (let x = 0; x < 96; x++) {
        if (changed(x, y)) {
          assert.ok(a.boxes.some((bx) => x >= bx[0] && x < bx[2] && y >= bx[1] && y < bx[3]), `(${x}, ${y})`);
        }
      }
    }
    a.boxes.forEach((bx, k) => {
      const row = (y: number) =>
        Array.from({ length: bx[2] - bx[0] }, (_, i) => changed(bx[0] + i, y)).some(Boolean);
      const col = (x: number) =>
        Array.from({ length: bx[3] - bx[1] }, (_, i) => changed(x, bx[1] + i)).some(Boolean);
      assert.ok(row(bx[1]) && row(bx[3] - 1) && col(bx[0]) && col(bx[2] - 1), `box ${bx} not tight`);
      const l = a.labels.subarray(5 * k, 5 * k + 5);
      assert.ok(Number.isInteger(l[0]) && l[0] >= 0 && l[0] <= 9);
      const expect = [
        (bx[0] + bx[2]) / 192,
        (bx[1] + bx[3]) / 192,
        (bx[2] - bx[0]) / 96,
        (bx[3] - bx[1]) / 96,
      ];
      assert.ok(expect.every((v, i) => Math.abs(l[i + 1] - v) < 1e-6));
    });
  }
  assert.notDeepEqual(
    composeMnistDet([grey], digits, createRng(0), opts),
    composeMnistDet([grey], digits, createRng(9), opts),
  );
});

Deno.test("generateMnistDet() writes the YOLO layout reproducibly; loadDataset() generates it when missing", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "mnist_det_test_" });
  const o = { train: 3, val: 2, img: 64, digitPool: 200 };
  const ya = await generateMnistDet(`${tmp}/a`, o);
  await generateMnistDet(`${tmp}/b`, o);
  await generateMnistDet(`${tmp}/c`, { ...o, seed: 1 });
  const files = [
    "images/train/000000.jpg",
    "images/train/000002.jpg",
    "images/val/000001.jpg",
    "labels/train/000001.txt",
    "mnist-det.yaml",
  ];
  for (const f of files) {
    assert.deepEqual(await Deno.readFile(`${tmp}/a/${f}`), await Deno.readFile(`${tmp}/b/${f}`), f);
  }
  assert.notDeepEqual(
    await Deno.readFile(`${tmp}/a/images/train/000000.jpg`),
    await Deno.readFile(`${tmp}/c/images/train/000000.jpg`),
  );
  const train = await loadDataset(ya, "train");
  assert.equal(train.length, 3);
  assert.deepEqual(train.names, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  assert.equal(train.warnings.length, 0);
  assert.ok(train.summary.labels >= 3);
  const s = await train.load(0);
  assert.deepEqual([s.width, s.height], [64, 64]);
  // ensureMnistDet keeps an existing dataset
  const mtime = (await Deno.stat(ya)).mtime;
  assert.equal(await ensureMnistDet(`${tmp}/a`), ya);
  assert.deepEqual((await Deno.stat(ya)).mtime, mtime);
  // asking for a missing mnist-det.yaml generates it (both splits), once
  const [v, t] = await Promise.all([
    loadDataset(`${tmp}/d/mnist-det.yaml`, "val", { mnistDet: o }),
    loadDataset(`${tmp}/d/mnist-det.yaml`, "train", { mnistDet: o }),
  ]);
  assert.deepEqual([v.length, t.length], [2, 3]);
  assert.deepEqual(
    await Deno.readFile(`${tmp}/d/images/val/000001.jpg`),
    await Deno.readFile(`${tmp}/a/images/val/000001.jpg`),
  );
  await Deno.remove(tmp, { recursive: true });
});
