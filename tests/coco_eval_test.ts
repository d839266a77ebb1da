/**
 * COCO box evaluation (pycocotools COCOeval semantics): the golden case exactly, a tie/crowd/maxDets fixture
 * whose expected numbers come from pycocotools, hand-built fixtures with analytic answers, bad input, and the
 * coco-eval CLI.
 */
import assert from "node:assert/strict";
import { runCocoCase } from "../lib/golden/coco.ts";
import { listCases } from "../lib/golden/runner.ts";
import { GOLDEN_DIR } from "../lib/testing/golden_dir.ts";
import {
  cocoEvaluate,
  CocoFormatError,
  defaultCocoParams,
  formatFixed,
  loadCocoResults,
  parseCocoGroundTruth,
} from "../lib/eval/mod.ts";
import { runCli } from "../lib/testing/run_cli.ts";

const FIX = new URL("./fixtures/eval/", import.meta.url).pathname;
const ROOT = new URL("../", import.meta.url).pathname;

function close(actual: number[], expected: number[], tol: number, msg = ""): void {
  assert.equal(actual.length, expected.length, msg);
  actual.forEach((a, i) =>
    assert.ok(Math.abs(a - expected[i]) <= tol, `${msg} [${i}]: ${a} vs ${expected[i]}`)
  );
}

function evalJson(gt: unknown, dt: unknown, useCats = true) {
  const g = parseCocoGroundTruth(gt, "gt.json");
  return cocoEvaluate(g, loadCocoResults(g, dt, "dt.json"), { ...defaultCocoParams(), useCats });
}

Deno.test("coco golden cases: 12 stats, per-category AP and printed lines equal pycocotools (error 0)", async () => {
  const cases = await listCases(GOLDEN_DIR, ["coco_map"]);
  assert.ok(cases.length > 0, `no coco_map case in ${GOLDEN_DIR}`);
  for (const c of cases) {
    const rep = await runCocoCase(GOLDEN_DIR, c.stem, c.sidecar, {});
    assert.ok(rep.checks.some((k) => k.name === "stats"));
    for (const k of rep.checks) {
      assert.ok(k.pass && k.error === 0, `${c.stem} ${k.name}: ${k.error} (${k.note ?? ""})`);
    }
  }
});

Deno.test("ties, crowds, area != w*h and a 130-detection image: bit-equal to pycocotools, with and without useCats", async () => {
  // expected: pycocotools (cocoapi 8c9bcc3) on the same files; maxDets=100 cuts image 19's 130 detections
  const gt = JSON.parse(await Deno.readTextFile(`${FIX}/coco_ties_gt.json`));
  const dt = JSON.parse(await Deno.readTextFile(`${FIX}/coco_ties_dt.json`));
  const rep = evalJson(gt, dt);
  assert.deepEqual(rep.stats, [
    0.029913453364746705,
    0.09554455445544555,
    0.019541427826993224,
    0.056806930693069295,
    0.015672638692440673,
    0.08319481948194819,
    0.008333333333333333,
    0.11527777777777777,
    0.167550505050505,
    0.11666666666666665,
    0.09444444444444443,
    0.21666666666666667,
  ]);
  assert.deepEqual(Object.fromEntries(rep.perCategoryAP), {
    1: 0.054623212321232115,
    3: 0.0067326732673267334,
    8: 0.028384474505681254,
  });
  assert.deepEqual(rep.lines.slice(0, 2), [
    " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.030",
    " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.096",
  ]);
  assert.equal(
    rep.lines[6],
    " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.008",
  );
  const noCats = evalJson(gt, dt, false);
  assert.deepEqual(noCats.stats, [
    0.021201024763891442,
    0.0601902543195496,
    0.015803503427265803,
    0.04701084394153701,
    0.010796458821942863,
    0.0714885308406617,
    0.0,
    0.048,
    0.168,
    0.175,
    0.11111111111111112,
    0.20833333333333331,
  ]);
});

const GT_A = {
  images: [{ id: 1 }, { id: 2 }],
  categories: [{ id: 1, name: "a" }, { id: 2, name: "b" }],
  annotations: [
    { id: 1, image_id: 1, category_id: 1, bbox: [10, 10, 20, 20], area: 400, iscrowd: 0 },
    { id: 2, image_id: 1, category_id: 2, bbox: [50, 50, 60, 60], area: 3600, iscrowd: 0 },
    { id: 3, image_id: 2, category_id: 1, bbox: [0, 0, 40, 40], area: 1600, iscrowd: 0 },
    { id: 4, image_id: 2, category_id: 1, bbox: [100, 100, 50, 30], area: 1500, iscrowd: 0 },
  ],
};

Deno.test("perfect detections: AP 1 and AR 1, -1 for an area range without objects, AR@1 = 5/6", () => {
  const dt = GT_A.annotations.map((a, i) => ({
    image_id: a.image_id,
    category_id: a.category_id,
    bbox: a.bbox,
    score: 0.9 - 0.1 * i,
  }));
  const rep = evalJson(GT_A, dt);
  // precision tp/(tp+fp+eps) is 1 - 2e-16, hence the tolerance; AR@1: category 1 finds 2 of 3 with one detection per image
  close(rep.stats, [1, 1, 1, 1, 1, -1, (2 / 3 + 1) / 2, 1, 1, 1, 1, -1], 1e-12);
  assert.equal(rep.lines[5].slice(-6), "-1.000");
  close([...rep.perCategoryAP.values()], [1, 1], 1e-12);
});

Deno.test("crowd regions: detections inside a crowd box are ignored, not false positives", () => {
  const gt = (crowd: number) => ({
    images: [{ id: 7 }],
    categories: [{ id: 3 }],
    annotations: [
      { id: 1, image_id: 7, category_id: 3, bbox: [0, 0, 10, 10], area: 100, iscrowd: 0 },
      { id: 2, image_id: 7, category_id: 3, bbox: [100, 100, 50, 50], area: 2500, iscrowd: crowd },
    ],
  });
  const dt = [
    { image_id: 7, category_id: 3, bbox: [110, 110, 10, 10], score: 0.95 }, // inside the crowd box
    { image_id: 7, category_id: 3, bbox: [120, 120, 10, 10], score: 0.9 }, // inside too: a crowd matches many
    { image_id: 7, category_id: 3, bbox: [0, 0, 10, 10], score: 0.8 },
    { image_id: 7, category_id: 3, bbox: [300, 300, 10, 10], score: 0.6 },
  ];
  // crowd: TP at rank 3 with no counted FP before it -> AP 1; AR@1 0 (the top detection is ignored)
  close(evalJson(gt(1), dt).stats, [1, 1, 1, 1, -1, -1, 0, 1, 1, 1, -1, -1], 1e-12);
  // same box not crowd: two FPs first, recall 1/2 -> AP = (51 points of 1/3) / 101; small: 1/3 everywhere
  close(evalJson(gt(0), dt).stats, [
    51 / 101 / 3,
    51 / 101 / 3,
    51 / 101 / 3,
    1 / 3,
    0,
    -1,
    0,
    0.5,
    0.5,
    1,
    0,
    -1,
  ], 1e-12);
});

Deno.test("empty results: AP and AR 0 where there are objects (pycocotools itself fails on an empty list)", () => {
  const rep = evalJson(GT_A, []);
  assert.deepEqual(rep.stats, [0, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, -1]);
});

Deno.test("loadRes semantics: ids 1..n in file order, area = w*h, unknown categories counted and not evaluated", () => {
  const g = parseCocoGroundTruth(GT_A, "gt.json");
  const r = loadCocoResults(g, [
    { image_id: 2, category_id: 1, bbox: [0, 0, 4, 2.5], score: 0.5, id: 99, area: 1 },
    { image_id: 1, category_id: 42, bbox: [0, 0, 3, 3], score: 0.4 },
    { image_id: 1, category_id: 1, bbox: [0, 0, 0, 3], score: 0.3 },
  ], "dt.json");
  assert.deepEqual(r.detections.map((d) => [d.id, d.area]), [[1, 10], [2, 9], [3, 0]]);
  assert.equal(r.warnings.length, 2);
  assert.match(r.warnings[0], /dt\.json: 1 detections have category ids not in the categories of gt\.json/);
  assert.match(r.warnings[1], /1 detections have a zero-size box/);
  const g2 = parseCocoGroundTruth({
    ...GT_A,
    annotations: [...GT_A.annotations, { ...GT_A.annotations[0], id: 9, image_id: 5 }],
  }, "gt.json");
  assert.match(g2.warnings[0], /gt\.json: 1 annotations refer to image ids not in "images"/);
});

function without(o: object, key: string): Record<string, unknown> {
  const c = { ...o } as Record<string, unknown>;
  delete c[key];
  return c;
}

Deno.test("bad input: errors name the file and the entry", () => {
  const ann = GT_A.annotations[0];
  const cases: [unknown, RegExp][] = [
    [
      { images: [], categories: [] },
      /gt\.json: expected a list "annotations", got nothing \(field missing\)/,
    ],
    [
      { ...GT_A, annotations: [without(ann, "area")] },
      /gt\.json: annotations\[0\] \(id 1\): expected a finite number "area", got nothing \(field missing\)/,
    ],
    [
      { ...GT_A, annotations: [{ ...ann, bbox: [1, 2, 3] }] },
      /annotations\[0\] \(id 1\): expected "bbox" \[x, y, w, h\]/,
    ],
    [
      { ...GT_A, annotations: [{ ...ann, bbox: [1, 2, 0, 3] }] },
      /annotations\[0\] \(id 1\): expected a box with positive width/,
    ],
    [{ ...GT_A, annotations: [without(ann, "iscrowd")] }, /expected "iscrowd" 0 or 1, got nothing/],
    [{ ...GT_A, annotations: [ann, ann] }, /annotations\[1\] \(id 1\): duplicate annotation id 1/],
    [{ ...GT_A, images: [{ id: 1 }, { id: 1 }] }, /images\[1\] \(id 1\): duplicate image id 1/],
  ];
  for (const [json, re] of cases) {
    assert.throws(
      () => parseCocoGroundTruth(json, "gt.json"),
      (e) => e instanceof CocoFormatError && re.test(e.message),
    );
  }
  // a zero-size ground-truth box is accepted on request, with a counted warning
  const ok = parseCocoGroundTruth({ ...GT_A, annotations: [{ ...ann, bbox: [1, 2, 0, 3] }] }, "gt.json", {
    allowEmptyBoxes: true,
  });
  assert.match(ok.warnings[0], /1 annotations have a zero-size box/);
  const g = parseCocoGroundTruth(GT_A, "gt.json");
  const det = { image_id: 1, category_id: 1, bbox: [0, 0, 5, 5], score: 0.5 };
  const bad: [unknown, RegExp][] = [
    [{ det }, /dt\.json: expected a JSON list of detections/],
    [
      [det, { ...det, image_id: 3 }],
      /dt\.json: detection \[1\]: image_id 3 is not an image of the ground truth gt\.json/,
    ],
    [[without(det, "score")], /detection \[0\]: expected a finite number "score", got nothing/],
    [
      [{ ...det, bbox: [0, 0, -1, 5] }],
      /detection \[0\]: expected a box with positive width and height, got bbox \[0,0,-1,5\]/,
    ],
    [[{ ...det, category_id: "1" }], /detection \[0\]: expected a finite number "category_id", got "1"/],
  ];
  for (const [json, re] of bad) {
    assert.throws(
      () => loadCocoResults(g, json, "dt.json"),
      (e) => e instanceof CocoFormatError && re.test(e.message),
    );
  }
});

Deno.test("summary number format: Python '{:0.3f}' (ties to even, -1.000)", () => {
  assert.equal(formatFixed(0.0625, 3), "0.062");
  assert.equal(formatFixed(0.1875, 3), "0.188");
  assert.equal(formatFixed(0.30789631160918296, 3), "0.308");
  assert.equal(formatFixed(-1, 3), "-1.000");
  assert.equal(formatFixed(0.5, 2), "0.50");
  assert.equal(formatFixed(0.95, 2), "0.95");
});

Deno.test("coco-eval CLI: summary lines, --json, and exit code 1 naming the bad entry", async () => {
  const cases = await listCases(GOLDEN_DIR, ["coco_map"]);
  const c = cases[0].sidecar as {
    gt_file: string;
    dt_file: string;
    stats: number[];
    summary_stdout: string[];
  };
  const run = (...args: string[]) => runCli("coco_eval.ts", args);
  const gt = `${GOLDEN_DIR}/${c.gt_file}`, dt = `${GOLDEN_DIR}/${c.dt_file}`;
  const plain = await run("--gt", gt, "--dt", dt);
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual(
    plain.stdout.trimEnd().split("\n"),
    c.summary_stdout.filter((l) => l.startsWith(" Average")),
  );
  const json = await run("--gt", gt, "--dt", dt, "--json");
  assert.deepEqual(JSON.parse(json.stdout).stats, c.stats);
  const tmp = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(
    tmp,
    JSON.stringify([{ image_id: -5, category_id: 1, bbox: [0, 0, 1, 1], score: 1 }]),
  );
  const badRun = await run("--gt", gt, "--dt", tmp);
  await Deno.remove(tmp);
  assert.equal(badRun.code, 1);
  assert.match(badRun.stderr, /detection \[0\]: image_id -5 is not an image of the ground truth/);
  assert.equal((await run("--gt", gt)).code, 2);
});
