// Label files, dataset YAML forms, COCO json conversion: checks reported with file:line, rows dropped or kept.
import assert from "node:assert/strict";
import { img2labelPath, parseLabels } from "../lib/data/labels.ts";
import { parseDatasetYaml } from "../lib/data/dataset_yaml.ts";
import { parseCocoJson } from "../lib/data/coco_json.ts";

const close = (a: ArrayLike<number>, b: number[], tol = 1e-6) =>
  assert.ok(
    a.length === b.length && b.every((v, i) => Math.abs(a[i] - v) <= tol),
    `${[...Array.from(a)]} != ${b}`,
  );

Deno.test("img2labelPath() swaps the last /images/ for /labels/ and the extension for .txt", () => {
  assert.equal(img2labelPath("/d/images/train/a.b.jpg"), "/d/labels/train/a.b.txt");
  assert.equal(img2labelPath("/images/x/images/train/0.png"), "/images/x/labels/train/0.txt");
  assert.equal(img2labelPath("/d/pics/1.webp"), "/d/pics/1.txt");
});

Deno.test("parseLabels() keeps good rows and reports each bad row with file:line", () => {
  const text = [
    "0 0.5 0.5 0.2 0.2", // 1 ok
    "1 0.5 0.5 0.2", // 2 columns
    "12 0.5 0.5 0.2 0.2", // 3 class out of range (nc 10)
    "1.5 0.5 0.5 0.2 0.2", // 4 non-integer class
    "2 nan 0.5 0.2 0.2", // 5 non-finite
    "3 0.5 abc 0.2 0.2", // 6 non-numeric
    "4 1.2 0.5 0.2 0.2", // 7 outside [0, 1]
    "5 0.5 0.5 0 0.2", // 8 zero size
    "", // blank line ignored
    "6 0.999 0.5 0.01 0.2", // 10 edge beyond 1 by 0.0040 < tolerance: clipped, kept
    "0 0.5 0.5 0.2 0.2", // 11 duplicate of line 1
    "7 0.1 0.1 0.3 0.1 0.2 0.3", // 12 polygon (3 points) -> box
    "-1 0.5 0.5 0.2 0.2", // 13 negative class
    "8 0.05 0.5 0.2 0.2", // 14 left edge -0.05 beyond tolerance
  ].join("\n");
  const r = parseLabels(text, { file: "labels/a.txt", nc: 10 });
  const byLine = new Map(r.warnings.map((w) => [w.line, w]));
  const expect: [number, string][] = [
    [2, "columns"],
    [3, "class"],
    [4, "class"],
    [5, "nonfinite"],
    [6, "nonfinite"],
    [7, "range"],
    [8, "size"],
    [11, "duplicate"],
    [13, "class"],
    [14, "range"],
  ];
  assert.equal(r.warnings.length, expect.length);
  for (const [line, kind] of expect) {
    assert.equal(byLine.get(line)?.kind, kind, `line ${line}`);
    assert.ok(byLine.get(line)!.message.startsWith(`labels/a.txt:${line}: `), byLine.get(line)!.message);
  }
  assert.equal(r.dropped, 9);
  assert.equal(r.duplicates, 1);
  assert.equal(r.labels.length, 3 * 5);
  close(r.labels.subarray(0, 5), [0, 0.5, 0.5, 0.2, 0.2]);
  // clipped box: x1 = 0.994, x2 = 1.004 -> 1
  close(r.labels.subarray(5, 10), [6, 0.997, 0.5, 0.006, 0.2], 1e-6);
  // polygon (0.1,0.1) (0.3,0.1) (0.2,0.3) -> box x 0.1..0.3, y 0.1..0.3
  close(r.labels.subarray(10, 15), [7, 0.2, 0.2, 0.2, 0.2], 1e-6);
  assert.match(byLine.get(2)!.message, /expected 5 values .* got 4/);
  assert.match(byLine.get(3)!.message, /expected an integer in \[0, 9\], got 12/);
  assert.match(byLine.get(11)!.message, /duplicate of line 1/);
});

Deno.test("parseLabels() of an empty file is a background image without warnings", () => {
  const r = parseLabels("\n\n", { file: "x.txt", nc: 3 });
  assert.equal(r.labels.length, 0);
  assert.equal(r.warnings.length, 0);
});

Deno.test("parseDatasetYaml() accepts names as a list or a map, nc, relative roots and lists of sources", () => {
  const a = parseDatasetYaml(
    "path: ../sets/d\ntrain: images/train\nval: [images/v1, lists/v2.txt]\nnames: [cat, dog]\n",
    "/p/cfg/d.yaml",
  );
  assert.equal(a.root, "/p/sets/d");
  assert.deepEqual(a.splits.train, ["/p/sets/d/images/train"]);
  assert.deepEqual(a.splits.val, ["/p/sets/d/images/v1", "/p/sets/d/lists/v2.txt"]);
  assert.deepEqual(a.names, ["cat", "dog"]);
  assert.equal(a.nc, 2);
  const b = parseDatasetYaml(
    "train: /abs/train.txt\nval: val.txt\nnames:\n  1: dog\n  0: cat\nnc: 2\n",
    "/q/d.yaml",
  );
  assert.equal(b.root, "/q");
  assert.deepEqual(b.splits.train, ["/abs/train.txt"]);
  assert.deepEqual(b.splits.val, ["/q/val.txt"]);
  assert.deepEqual(b.names, ["cat", "dog"]);
  const c = parseDatasetYaml("path: /r\ntrain: t\nvalidation: v\nclass_num: 3\n", "/q/mtl.yaml");
  assert.deepEqual(c.splits.val, ["/r/v"]);
  assert.deepEqual(c.names, ["0", "1", "2"]);
  // root fallback to the working directory when the yaml-relative root does not exist
  const d = parseDatasetYaml("path: data/x\ntrain: t\nnames: [a]\n", "/q/cfg/d.yaml", {
    cwd: "/w",
    rootExists: (p) => p === "/w/data/x",
  });
  assert.equal(d.root, "/w/data/x");
});

Deno.test("parseDatasetYaml() errors name the file and what was expected", () => {
  assert.throws(
    () => parseDatasetYaml("train: t\nnames: [a, b]\nnc: 3\n", "d.yaml"),
    /d\.yaml: `nc` is 3 but `names` has 2/,
  );
  assert.throws(() => parseDatasetYaml("train: t\n", "e.yaml"), /e\.yaml: expected `names`/);
  assert.throws(
    () => parseDatasetYaml("train: t\nnames: {0: a, 2: b}\n", "f.yaml"),
    /f\.yaml: expected `names` keys 0\.\.1, got key "2"/,
  );
  assert.throws(() => parseDatasetYaml("- a\n- b\n", "g.yaml"), /g\.yaml: expected a mapping/);
});

Deno.test("parseCocoJson() maps sorted category ids to classes, normalises boxes, skips crowd and bad boxes", () => {
  const json = JSON.stringify({
    images: [{ id: 7, file_name: "a.jpg", width: 200, height: 100 }, {
      id: 8,
      file_name: "b.jpg",
      width: 50,
      height: 50,
    }],
    categories: [{ id: 90, name: "toothbrush" }, { id: 1, name: "person" }],
    annotations: [
      { id: 1, image_id: 7, category_id: 90, bbox: [10, 20, 40, 20], iscrowd: 0 },
      { id: 2, image_id: 7, category_id: 1, bbox: [190, 90, 20, 20] }, // clipped to the image
      { id: 3, image_id: 7, category_id: 1, bbox: [0, 0, 5, 5], iscrowd: 1 }, // crowd
      { id: 4, image_id: 8, category_id: 5, bbox: [0, 0, 5, 5] }, // unknown category
      { id: 5, image_id: 8, category_id: 1, bbox: [3, 3, 0, 4] }, // zero size
      { id: 6, image_id: 99, category_id: 1, bbox: [3, 3, 1, 4] }, // unknown image
    ],
  });
  const c = parseCocoJson(json, "ann.json");
  assert.deepEqual(c.names, ["person", "toothbrush"]);
  assert.deepEqual(c.categoryIds, [1, 90]);
  close(c.images[0].labels, [
    1,
    30 / 200,
    30 / 100,
    40 / 200,
    20 / 100,
    0,
    195 / 200,
    95 / 100,
    10 / 200,
    10 / 100,
  ]);
  assert.equal(c.images[1].labels.length, 0);
  assert.deepEqual(c.warnings.map((w) => w.kind).sort(), ["annotation", "class", "size"]);
  assert.ok(c.warnings.every((w) => w.message.startsWith("ann.json: annotation ")));
});

Deno.test("parseDatasetYaml() names keys that look like a misspelled dataset key, and only those", () => {
  const cfg = parseDatasetYaml("path: .\ntrian: a\nvla: b\nTest: c\ngenerator: {seed: 0}\nnames: [x]\n", "/d/x.yaml");
  assert.deepEqual(cfg.misspelledKeys, [
    { key: "trian", like: "train" },
    { key: "vla", like: "val" },
    { key: "Test", like: "test" },
  ]);
  assert.deepEqual(cfg.splits, {});
});
