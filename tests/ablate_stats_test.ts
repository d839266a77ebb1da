// Statistics and scoring of the ablation: mean / spread (paired verdicts: ablate_paired_test.ts), COCO statistics with area terciles, the Fig. 7 focus ratio, and the plan's run keys.
import { deepEqual, equal, ok } from "node:assert/strict";
import { summarize } from "../lib/stats/stats.ts";
import { areaThresholds, cocoStats } from "../lib/ablate/coco_stats.ts";
import { focusRatio, targetBoxes } from "../lib/ablate/focus.ts";
import { canonicalJson, estimateSeconds } from "../lib/ablate/plan.ts";
import { barChartSvg } from "../lib/ablate/plot.ts";
import { formatDuration } from "../lib/ablate/runner.ts";

Deno.test("summarize(): mean, sample std and count of the finite values", () => {
  const a = summarize([10, 12, NaN]);
  deepEqual([a.mean, +a.std.toFixed(4), a.n], [11, 1.4142, 2]);
  equal(summarize([]).n, 0);
  equal(summarize([3]).std, 0);
});

Deno.test("cocoStats(): perfect predictions give AP 1; area terciles split the boxes in thirds", () => {
  const gt = [0, 1, 2].map((i) => ({
    id: i,
    width: 100,
    height: 100,
    labels: [i % 2, 0.5, 0.5, 0.1 * (i + 1), 0.1 * (i + 1)],
  }));
  const [t1, t2] = areaThresholds(gt, "terciles");
  ok(t1 > 100 && t1 < 400 && t2 > 400 && t2 < 900, `${t1} ${t2}`);
  deepEqual(areaThresholds(gt, "coco"), [1024, 9216]);
  const preds = gt.map((g) => {
    const s = 100 * g.labels[3];
    return {
      image_id: g.id,
      category_id: g.labels[0],
      bbox: [50 - s / 2, 50 - s / 2, s, s] as [number, number, number, number],
      score: 0.9,
    };
  });
  const r = cocoStats(gt, preds, ["a", "b"]);
  deepEqual(r.stats.slice(0, 3).map((x) => +x.toFixed(3)), [1, 1, 1]);
  deepEqual(r.stats.slice(3, 6).map((x) => +x.toFixed(6)), [1, 1, 1], "every bucket has one box");
  deepEqual(cocoStats(gt, [], ["a", "b"]).stats.slice(0, 2), [0, 0]);
  equal(cocoStats([{ id: 0, width: 10, height: 10, labels: [] }], [], ["a"]).stats[0], -1);
});

Deno.test("focusRatio(): 1 without preference, > 1 when the map responds on the boxes", () => {
  const flat = { width: 4, height: 4, data: new Float32Array(16).map((_, i) => i % 2) };
  const box = [[0, 0, 8, 8]];
  ok(Math.abs(focusRatio(flat, box, 16, 16) - 1) < 1e-9);
  const peaked = { width: 4, height: 4, data: new Float32Array(16) };
  peaked.data[0] = 5;
  peaked.data[5] = 5;
  equal(focusRatio(peaked, box, 16, 16), 4);
  ok(Number.isNaN(focusRatio(peaked, [], 16, 16)));
  deepEqual(targetBoxes([0, 1, 0.5, 0.5, 0.5, 0.25, 1, 2, 0.5, 0.5, 1, 1], 0, 16, 16), [[4, 6, 12, 10]]);
});

Deno.test("plan keys hash canonical JSON; time estimates grow with convs, GFLOPs, images, epochs", () => {
  equal(canonicalJson({ b: [1, { d: 2, c: 3 }], a: null }), '{"a":null,"b":[1,{"c":3,"d":2}]}');
  const s = { epochs: 2, batch: 16, trainImages: 100, valImages: 20 };
  const base = estimateSeconds({ convs: 160, gflops: 0.02 }, s);
  ok(
    estimateSeconds({ convs: 320, gflops: 0.02 }, s) > base &&
      estimateSeconds({ convs: 160, gflops: 0.04 }, s) > base,
  );
  ok(estimateSeconds({ convs: 160, gflops: 0.02 }, { ...s, epochs: 4 }) > base);
  deepEqual([formatDuration(42), formatDuration(185), formatDuration(3725)], ["42s", "3m05s", "1h02m"]);
});

Deno.test("barChartSvg() draws the paper's and our values", () => {
  const svg = barChartSvg("T", "AP", [{ label: "A <1>", paper: 45.5, mean: 12, std: 1, values: [11, 13] }, {
    label: "B",
    mean: NaN,
    std: 0,
    values: [],
  }]);
  ok(svg.startsWith("<svg") && svg.includes("A &lt;1&gt;") && svg.includes("45.5") && svg.includes("n/a"));
});
