import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { cellMean, crossedMeanInterval, crossedResamples, quantile } from "../lib/stats/bootstrap.ts";
import { fixedShare, pairedFocus } from "../lib/ablate/focus.ts";
import { compareDepths, crossingDepth, informationDepth, levelAt, meanCurve } from "../lib/ib/information_depth.ts";
import { depthStudy, formatDepth, type IbCurve } from "../lib/ib/depth_study.ts";
import { depthGrid } from "../lib/ib/analysis.ts";
import { cropSquare, loadStudyImages } from "../lib/ib/images.ts";
import { reversibility } from "../lib/ib/reversibility.ts";
import { inputFeatureInformation } from "../lib/ib/information.ts";
import type { FeatureMap, FloatImage } from "../lib/ib/samples.ts";
import { type IbJson, ibVerdict } from "../lib/ablate/fig2_6_job.ts";

const near = (a: number, b: number, tol: number, what = "") => ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

Deno.test("crossingDepth: linear interpolation between grid depths, censoring, NaN skipped", () => {
  // A straight line 1 - d / 100 is interpolated exactly: 0.5 at 50, 0.1 at 90, on any grid around them.
  const grid = [1, 10, 20, 45, 70, 100];
  const line = grid.map((d) => 1 - d / 100);
  near(crossingDepth(grid, line, 0.5).depth, 50, 1e-9, "line 0.5");
  near(crossingDepth(grid, line, 0.1).depth, 90, 1e-9, "line 0.1");
  equal(crossingDepth(grid, line, 0.1).censored, null);
  // exp(-d / 20) on the default grid to 100: the true crossing of 0.5 is 20 ln 2; linear interpolation
  // between grid depths at most 20 % apart overestimates it by less than 1 layer.
  const g = depthGrid(100);
  const c = crossingDepth(g, g.map((d) => Math.exp(-d / 20)), 0.5);
  ok(c.depth >= 20 * Math.LN2 && c.depth < 20 * Math.LN2 + 1, `exp crossing ${c.depth}`);
  // Already below at the first depth / never below.
  deepEqual(crossingDepth(grid, grid.map(() => 0), 0.1), { depth: 1, censored: "below" });
  deepEqual(crossingDepth(grid, grid.map(() => 1), 0.1), { depth: 100, censored: "above" });
  // The first crossing counts even if the curve comes back; NaN points are skipped.
  near(crossingDepth([1, 2, 3, 4], [1, 0, 1, NaN], 0.5).depth, 1.5, 1e-12, "first crossing");
  near(crossingDepth([1, 2, 3], [1, NaN, 0], 0.5).depth, 2, 1e-12, "NaN skipped");
  throws(() => crossingDepth([1, 3, 2], [1, 1, 0], 0.5), /must increase/);
  throws(() => crossingDepth([1, 2], [1], 0.5), /2 depths for 1 values/);
  deepEqual(depthGrid(30), [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 17, 20, 24, 29, 30]);
});

Deno.test("crossed bootstrap: quantiles, cell means and an interval with a known width", () => {
  equal(quantile([5, 1, 3, 2, 4], 0.5), 3);
  equal(quantile([1, 2, 3, 4, 5], 0.25), 2);
  near(quantile([0, 10], 0.975), 9.75, 1e-12, "interpolated");
  equal(quantile([1, Infinity, 2, NaN], 1), Infinity);
  equal(cellMean([[1, NaN], [3, 5]]), 3);
  equal(cellMean([[1, 2], [3, 4]], { seeds: [1, 1], images: [0] }), 3);
  // Seeds contribute +-1 and images nothing: the mean of 8 seeds drawn with replacement has
  // standard deviation 1 / sqrt(8), so the 95 % interval is about +-1.96 / sqrt(8) = +-0.69.
  const table = Array.from({ length: 8 }, (_, s) => Array.from({ length: 16 }, () => (s % 2 ? 1 : -1)));
  const iv = crossedMeanInterval(table, crossedResamples(8, 16, { replicates: 4000, seed: 1 }));
  equal(iv.value, 0);
  near(iv.hi, 1.96 / Math.sqrt(8), 0.1, "upper bound");
  near(iv.lo, -1.96 / Math.sqrt(8), 0.1, "lower bound");
  // A constant table has a zero-width interval; resampling is seeded.
  deepEqual(crossedMeanInterval([[2, 2], [2, 2]], crossedResamples(2, 2)), { value: 2, lo: 2, hi: 2 });
  deepEqual(crossedResamples(3, 4, { replicates: 5, seed: 7 }), crossedResamples(3, 4, { replicates: 5, seed: 7 }));
  throws(() => crossedResamples(0, 3), /at least|>= 1/);
});

/** Curves `[seed][image][k]` = f(seed, image, depth). */
const curves = (layers: number[], seeds: number, images: number, f: (s: number, i: number, d: number) => number) =>
  Array.from({ length: seeds }, (_, s) => Array.from({ length: images }, (_, i) => layers.map((d) => f(s, i, d))));

Deno.test("informationDepth: the mean curve's crossing, its interval over seeds, paired comparisons, the floor", () => {
  const layers = depthGrid(200);
  const rs = crossedResamples(4, 3, { replicates: 1000 });
  // Curves identical in every cell: a point interval at the analytic crossing of the straight line.
  const same = informationDepth({ layers, values: curves(layers, 4, 3, (_s, _i, d) => 1 - d / 100) }, 0.5, rs);
  near(same.depth.depth, 50, 1e-9, "depth");
  deepEqual([same.depth.lo, same.depth.hi, same.depth.loCensored, same.depth.hiCensored], [50, 50, null, null]);
  // Seeds with lines 1 - d / 80 and 1 - d / 120 (crossings 40 and 60): the mean curve crosses at
  // 0.5 / mean(1/80, 1/120) = 48, and the interval spans the seed-to-seed range.
  const spread = { layers, values: curves(layers, 4, 3, (s, _i, d) => 1 - d / (s % 2 ? 120 : 80)) };
  const sp = informationDepth(spread, 0.5, rs);
  near(sp.depth.depth, 48, 1e-9, "mixed crossing");
  ok(sp.depth.lo >= 40 - 1e-9 && sp.depth.lo < 48 && sp.depth.hi > 48 && sp.depth.hi <= 60 + 1e-9, formatDepth(sp.depth));
  // Paired: the same resamples give a deeper family a difference interval above 0.
  const deeper = informationDepth({ layers, values: curves(layers, 4, 3, (s, _i, d) => 1 - d / (s % 2 ? 240 : 160)) }, 0.5, rs);
  equal(compareDepths(deeper, sp).verdict, "deeper");
  equal(compareDepths(sp, deeper).verdict, "shallower");
  equal(compareDepths(sp, sp).verdict, "tie");
  // Never below within the grid: censored, interval open at the top.
  const flat = informationDepth({ layers, values: curves(layers, 4, 3, () => 0.9) }, 0.5, rs);
  deepEqual([flat.depth.censored, flat.depth.hiCensored, formatDepth(flat.depth)], ["above", "above", "> 200 [> 200, > 200]"]);
  equal(compareDepths(flat, deeper).verdict, "deeper");
  equal(compareDepths(flat, flat).verdict, "tie");
  // Floor: the level at a depth (nearest grid depth) with its interval; at the floor when all of it is below.
  const low = { layers, values: curves(layers, 4, 3, (s) => 0.02 * s) };
  const lv = levelAt(low, 100, 0.1, rs);
  deepEqual([lv.layers, lv.atFloor], [103, true]);
  near(lv.value, 0.03, 1e-12, "mean level");
  equal(levelAt({ layers, values: curves(layers, 4, 3, (s) => (s ? 0 : 0.5)) }, 100, 0.1, rs).atFloor, false);
  deepEqual(meanCurve({ layers: [1, 2], values: [[[1, 2]], [[3, NaN]]] }), [2, 2]);
});

/** The input as a feature map (each cell: its s x s x 3 pixels), i.e. an identity block. */
function identityMap(img: FloatImage, s: number): FeatureMap {
  const [h, w, c] = [img.height / s, img.width / s, s * s * 3];
  const data = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        const [dy, dx, ch] = [Math.floor(k / (s * 3)), Math.floor(k / 3) % s, k % 3];
        data[(y * w + x) * c + k] = img.data[((y * s + dy) * img.width + x * s + dx) * 3 + ch];
      }
    }
  }
  return { height: h, width: w, channels: c, data };
}

Deno.test("an identity family keeps everything (R² = 1, never below) and a zeroing family is at the floor", async () => {
  const images = await loadStudyImages(["data/images/chelsea.png"], 64, 3);
  deepEqual(images.map((i) => i.name), ["chelsea.png", "chelsea.png@tl", "chelsea.png@tr"]);
  const layers = [1, 2, 4, 8, 16, 32];
  // Identity blocks: the map at every depth is the input itself. Zeroing blocks: the same stem, then 0.
  const measure = (zero: boolean): IbCurve => {
    const c: IbCurve = { family: zero ? "zero" : "identity", name: zero ? "Zero" : "Identity", layers, shortest: layers, r2: [], psnr: [], mi: [] };
    for (const seed of [0, 1]) {
      const [r2, psnr, mi] = [[], [], []] as number[][][];
      for (const { image } of images) {
        const pts = layers.map((d) => {
          const f = identityMap(image, 2);
          if (zero && d > 1) f.data.fill(0);
          return { rev: reversibility(f, image), ksg: inputFeatureInformation(f, image, { samples: 256, seed }).ksg };
        });
        r2.push(pts.map((p) => p.rev.r2));
        psnr.push(pts.map((p) => p.rev.psnr - p.rev.psnrFloor));
        mi.push(pts.map((p) => p.ksg / pts[0].ksg));
      }
      c.r2.push(r2), c.psnr.push(psnr), c.mi.push(mi);
    }
    return c;
  };
  const [id, zero] = [measure(false), measure(true)];
  ok(id.r2.flat(2).every((v) => v > 0.999), `identity R² ${Math.min(...id.r2.flat(2))}`);
  ok(zero.r2.flat(2).filter((_, k) => k % layers.length).every((v) => v <= 0), "zeroed maps: R² <= 0");
  const study = depthStudy([id, zero], [4, 32], { replicates: 200 });
  for (const d of study.information_depth) {
    for (const x of d.depths) {
      if (d.name === "Identity") equal(x.censored, "above", `${d.measure} ${x.threshold}`);
      else ok(x.censored === null && x.depth > 1 && x.depth <= 2, `${d.measure} ${x.threshold}: ${formatDepth(x)}`);
    }
  }
  const floor = study.floors.find((f) => f.measure === "r2" && f.depth === 32)!;
  deepEqual(floor.levels.map((l) => [l.name, l.atFloor]), [["Identity", false], ["Zero", true]]);
  equal(floor.allAtFloor, false);
  for (const o of study.orderings) equal(o.order, "Identity > Zero", o.line);
  // Only zeroing families: every one at the floor at depth 32, no order drawn there.
  const zeros = depthStudy([zero, { ...zero, name: "Zero2" }], [32], { replicates: 200 });
  ok(zeros.floors.every((f) => f.allAtFloor && /every family is at the floor.*no order/.test(f.line)), zeros.floors[0].line);
});

Deno.test("depthStudy orders the paper's families by information depth; fig2_6's verdict reads it", () => {
  const layers = depthGrid(100);
  const fam = (name: string, scale: number, floorAt = Infinity): IbCurve => {
    const v = curves(layers, 3, 2, (s, i, d) => (d >= floorAt ? 0 : Math.exp(-d / (scale * (1 + 0.05 * (s - 1) + 0.02 * i)))));
    return { family: name.toLowerCase(), name, layers, shortest: layers, r2: v, psnr: v, mi: v };
  };
  const all = [fam("PlainNet", 3), fam("ResNet", 10), fam("CSPNet", 20), fam("GELAN", 30)];
  const s = depthStudy(all, [50], { replicates: 300 });
  const head = s.orderings.find((o) => o.measure === "r2" && o.threshold === 0.5)!;
  equal(head.order, "GELAN > CSPNet > ResNet > PlainNet");
  equal(head.holds, "yes");
  equal(head.pairs.length, 6);
  // ResNet deeper than CSPNet: the pair is against the paper.
  const swapped = depthStudy([fam("PlainNet", 3), fam("ResNet", 25), fam("CSPNet", 10), fam("GELAN", 30)], [50], { replicates: 300 });
  const o = swapped.orderings[0];
  equal(o.holds, "no");
  ok(/against: ResNet deeper than CSPNet/.test(o.line), o.line);
  // Everything zero beyond 20 layers: at depth 50 all are at the floor.
  const floored = depthStudy(all.map((c) => fam(c.name, layers.length, 20)), [50], { replicates: 300 });
  ok(floored.floors.every((f) => f.allAtFloor));
  const v = ibVerdict({ settings: { grid: layers }, curves: all, information_depth: floored.information_depth, depthStudy: floored } as IbJson);
  ok(/^information depth \(r2 < 0.5\): .*; at depth 50 every family is at the R² floor/.test(v.line), v.line);
  ok(v.md.some((l) => l.startsWith("| GELAN | ")));
});

Deno.test("pairedFocus: the paired difference and its interval; crops of study photos", () => {
  const base = [[1, 1.2, 0.8, 1.1], [0.9, 1.3, 1, NaN]];
  const up = pairedFocus(base, base.map((r) => r.map((v) => v + 0.2)), { replicates: 500 });
  near(up.diff.value, 0.2, 1e-12, "shift");
  near(up.diff.lo, 0.2, 1e-12, "lo"), near(up.diff.hi, 0.2, 1e-12, "hi");
  deepEqual([up.verdict, up.pairs], ["higher", 7]);
  const mixed = pairedFocus(base, base.map((r, s) => r.map((v, i) => v + ((s + i) % 2 ? 0.3 : -0.3))), { replicates: 500 });
  equal(mixed.verdict, "not separated");
  equal(pairedFocus(base, base.map((r) => r.map((v) => v - 0.1))).verdict, "lower");
  throws(() => pairedFocus([[1]], [[1, 2]]), /Cannot pair/);
  // Fixed share: one pattern under any gain and offset is 1; k orthogonal patterns share 1 / k.
  const map = (data: number[]) => ({ width: data.length, height: 1, data });
  near(fixedShare([map([1, 2, 3, 4]), map([12, 14, 16, 18])]), 1, 1e-12, "same pattern");
  near(fixedShare([map([1, -1, 1, -1]), map([1, 1, -1, -1]), map([1, -1, -1, 1])]), 1 / 3, 1e-12, "orthogonal");
  ok(Number.isNaN(fixedShare([map([1, 2])])));
  const img = { width: 4, height: 2, pixels: Uint8Array.from({ length: 24 }, (_, i) => Math.floor(i / 3)) };
  deepEqual([...cropSquare(img, 1, 1, 0).pixels].filter((_, i) => i % 3 === 0), [2, 3, 6, 7]);
  deepEqual([...cropSquare(img, 0.5, 0, 1).pixels], [4, 4, 4]);
});
