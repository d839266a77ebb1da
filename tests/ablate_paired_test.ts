// The paired protocol of the ablations: Student-t quantiles against printed tables, paired differences
// and their verdicts on known inputs, the table verdict line, two variants trained with one seed
// receiving identical batches (and another seed other batches), and the session time limit
// (a run asked to stop is resumable; no job starts after the deadline).
import { deepEqual, equal, ok } from "node:assert/strict";
import { pairedDifference, pairVerdicts, tableVerdict, tCdf, tQuantile } from "../lib/stats/paired.ts";
import { initBackend } from "../lib/backend/backend.ts";
import { generateMnistDet } from "../lib/data/mnist_det_build.ts";
import { trainRun } from "../lib/train/train_run.ts";
import type { Batch } from "../lib/data/types.ts";
import { runJobs, RunStopped, type TrainFn } from "../lib/ablate/runner.ts";
import type { Job } from "../lib/ablate/plan.ts";
import { tinyConfig } from "./fixtures/train_data.ts";

const close = (a: number, b: number, tol: number, what: string) => ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

Deno.test("tQuantile(): the printed 97.5 % points of Student's t; tCdf symmetric", () => {
  // Printed values (e.g. NIST/SEMATECH e-Handbook, Table of t critical values).
  const printed: [number, number][] = [[1, 12.706], [2, 4.303], [3, 3.182], [4, 2.776], [9, 2.262], [30, 2.042]];
  for (const [df, t] of printed) close(tQuantile(0.975, df), t, 5e-4, `df ${df}`);
  close(tQuantile(0.975, 1e6), 1.96, 1e-3, "normal limit");
  equal(tCdf(0, 5), 0.5);
  close(tCdf(-2, 7) + tCdf(2, 7), 1, 1e-12, "symmetry");
  close(tQuantile(0.025, 4), -2.776, 5e-4, "lower quantile");
});

Deno.test("pairedDifference(): mean and t interval by hand; pairing removes the shared seed variation", () => {
  const m = (xs: number[]) => new Map(xs.map((x, i) => [i, x]));
  const d = pairedDifference(m([10, 12, 11]), m([9, 10.5, 10]));
  deepEqual(d.diffs, [1, 1.5, 1]);
  close(d.mean, 7 / 6, 1e-12, "mean");
  // sd = sqrt(1/12); half-width = t(0.975, 2) * sd / sqrt(3) = 4.302653 * 0.288675 / 1.732051
  close(d.hi - d.mean, 4.302653 * Math.sqrt(1 / 12) / Math.sqrt(3), 1e-5, "half-width");
  // Seeds vary a lot (10..30) but the difference is always +1: unpaired spreads would tie, pairing does not.
  const p = pairedDifference(m([10, 20, 30]), m([9, 19, 29]));
  deepEqual([p.mean, p.lo, p.hi], [1, 1, 1]);
  // Only seeds both have count; one seed has no interval.
  const one = pairedDifference(new Map([[0, 3], [1, 4]]), new Map([[1, 2], [2, 9]]));
  deepEqual([one.n, one.mean, Number.isNaN(one.lo)], [1, 2, true]);
});

Deno.test("pairVerdicts() / tableVerdict(): holds, reversed, tie, untested; paper ties are not ordered", () => {
  const m = (xs: number[]) => new Map(xs.map((x, i) => [i, x]));
  const pairs = pairVerdicts([
    { id: "csp", paper: 45.5, values: m([30, 31, 29]) },
    { id: "res", paper: 44.3, values: m([28, 29.5, 27]) },
    { id: "dark", paper: 44.5, values: m([31, 33, 31]) },
    { id: "conv", paper: 44.5, values: m([29, 32, 28]) },
  ]);
  const by = Object.fromEntries(pairs.map((p) => [`${p.better}>${p.worse}`, p.outcome]));
  deepEqual(by, {
    "csp>res": "holds", // +2, +1.5, +2
    "csp>dark": "reversed", // -1, -2, -2
    "csp>conv": "tie", // +1, -1, +1
    "dark>res": "holds",
    "conv>res": "tie", // +1, +2.5, +1: mean 1.5, interval [-0.65, 3.65] contains 0
  });
  equal(pairs.length, 5, "dark and conv tie in the paper: not an ordered pair");
  const v = tableVerdict(pairs);
  deepEqual([v.holds, v.reversed, v.ties, v.untested, v.seeds, v.summary], [2, 1, 2, 0, 3, "mixed"]);
  ok(v.line.startsWith("2 hold, 1 reversed, 2 ties of 5 pairs the paper orders; 3 paired seeds"), v.line);
  const single = tableVerdict(pairVerdicts([{ id: "a", paper: 2, values: m([5]) }, { id: "b", paper: 1, values: m([4]) }]));
  deepEqual([single.summary, single.untested], ["untested", 1]);
});

await initBackend("cpu", { quiet: true });
const root = await Deno.makeTempDir({ prefix: "yolo_paired_" });
const data = await generateMnistDet(`${root}/data`, { train: 24, val: 4, img: 32, minSize: 8, maxSize: 16, maxDigits: 2 });

/** Digest of every training batch a run sees: the sum and a position-weighted sum of its pixels, and its targets. */
async function batchesSeen(name: string, cfg: Record<string, unknown>, seed: number): Promise<string[]> {
  const seen: string[] = [];
  const onBatch = (b: Batch) => {
    const px = b.images.dataSync();
    let s = 0, w = 0;
    for (let i = 0; i < px.length; i++) {
      s += px[i];
      w += px[i] * ((i % 997) + 1);
    }
    seen.push(`${s.toFixed(3)}/${w.toFixed(1)}/${Array.from(b.targets, (x) => x.toFixed(4)).join(",")}`);
  };
  const hyp = { lr0: 0.01, mosaic: 0.5, mixup: 0, copy_paste: 0, scale: 0.5, fliplr: 0.5, hsv_h: 0.015 };
  await trainRun({ cfg, data, hyp, epochs: 2, batch: 8, img: 32, seed, project: root, name, quiet: true, noval: true, onBatch });
  return seen;
}

Deno.test("two variants with the same seed receive identical batches (order and augmentation); another seed does not", async () => {
  const a = await batchesSeen("single", tinyConfig(10, false), 7);
  const b = await batchesSeen("dual", tinyConfig(10, true), 7);
  equal(a.length, 6, "2 epochs x 3 batches");
  deepEqual(b, a);
  const c = await batchesSeen("other_seed", tinyConfig(10, false), 8);
  ok(c.some((x, i) => x !== a[i]), "seed 8 draws other batches");
});

Deno.test("trainRun(shouldStop): stops after a checkpoint, resumable; the resumed run finishes", async () => {
  const o = { cfg: tinyConfig(10), data, epochs: 2, batch: 8, img: 32, seed: 0, project: root, name: "stop", quiet: true, noval: true };
  const r1 = await trainRun({ ...o, shouldStop: () => true });
  deepEqual([r1.stopped, r1.rows.length], [true, 1]);
  const r2 = await trainRun({ ...o, resume: true });
  deepEqual([r2.stopped, r2.rows.map((r) => r.epoch)], [undefined, [0, 1]]);
});

Deno.test("runJobs(deadline): a stopped run writes no record and runs again next session; nothing starts after the deadline", async () => {
  const out = await Deno.makeTempDir();
  const job = (key: string): Job => ({
    key, cfg: {}, lhg: false, seed: 0, uses: [{ table: "t", variant: key }], cost: 1,
    settings: { data: "d", epochs: 1, batch: 1, img: 32, hyp: {}, closeMosaic: 0, nbs: 1, noval: true, trainImages: 1 },
  });
  const calls: string[] = [];
  const stopping: TrainFn = (j, ctx) => {
    calls.push(j.key);
    equal(ctx.shouldStop(), false, "before the deadline");
    return Promise.reject(new RunStopped(j.key));
  };
  const recs = await runJobs([job("a")], { root: out, train: stopping, deadline: Date.now() + 60_000 });
  equal(recs.size, 0);
  const none = await runJobs([job("a"), job("b")], { root: out, train: stopping, deadline: Date.now() - 1 });
  deepEqual([none.size, calls], [0, ["a"]]);
});
