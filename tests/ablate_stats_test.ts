// Statistics and scoring of the ablation: mean / spread, the tie rule, the paper-ordering check and its
// verdict, COCO statistics with area terciles, the Fig. 7 focus ratio, and the plan's run keys.
import { deepEqual, equal, ok } from "node:assert/strict";
import { checkPairs, compare, orderingVerdict, summarize, tallyPairs } from "../lib/stats/stats.ts";
import { areaThresholds, cocoStats } from "../lib/ablate/coco_stats.ts";
import { focusRatio, targetBoxes } from "../lib/ablate/focus.ts";
import { canonicalJson, estimateSeconds } from "../lib/ablate/plan.ts";
import { barChartSvg } from "../lib/ablate/plot.ts";
import { formatDuration } from "../lib/ablate/runner.ts";

Deno.test("summarize() and compare(): a difference within the larger seed std is a tie; > 2 std is clear", () => {
  const a = summarize([10, 12, NaN]);
  deepEqual([a.mean, +a.std.toFixed(4), a.n], [11, 1.4142, 2]);
  equal(summarize([]).n, 0);
  const b = summarize([13, 13.2]);
  const c = compare(b, a);
  equal(c.verdict, "higher");
  equal(c.clear, false); // 2.1 < 2 x 1.414
  equal(compare(summarize([11.5, 12.5]), a).verdict, "tie");
  equal(compare(summarize([20, 20.1]), summarize([10, 10.1])).clear, true);
  // One seed each: no spread, never clear.
  deepEqual(
    [compare(summarize([2]), summarize([1])).verdict, compare(summarize([2]), summarize([1])).clear],
    ["higher", false],
  );
  equal(compare(summarize([]), a).verdict, "unknown");
});

Deno.test("checkPairs() / orderingVerdict(): agreement, ties, reversals and paper ties", () => {
  const s = (m: number) => ({ mean: m, std: 0.1, n: 3 });
  const pairs = checkPairs([
    { id: "a", paper: 45.5, ours: s(12) },
    { id: "b", paper: 44.8, ours: s(10) },
    { id: "c", paper: 44.3, ours: s(11) },
    { id: "d", paper: 44.3, ours: s(11.05) },
  ]);
  const by = Object.fromEntries(pairs.map((p) => [`${p.a}${p.b}`, p.outcome]));
  deepEqual(by, {
    ab: "agrees",
    ac: "agrees",
    ad: "agrees",
    bc: "contradicts",
    bd: "contradicts",
    cd: "agrees",
  });
  const t = tallyPairs(pairs);
  deepEqual([t.pairs, t.agrees, t.contradicts, t.clearAgrees], [6, 4, 2, 3]);
  const v = orderingVerdict(t, 3);
  deepEqual([v.holds, v.confidence], ["mostly", "high"]);
  equal(
    orderingVerdict(
      tallyPairs(checkPairs([{ id: "a", paper: 2, ours: s(1) }, { id: "b", paper: 1, ours: s(1) }])),
      3,
    ).holds,
    "tie",
  );
  equal(orderingVerdict(tallyPairs([]), 0).holds, "untested");
  equal(orderingVerdict(t, 1).confidence, "low");
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
