/**
 * `deno task bench [forward] [--backend X] [--json] [--models gelan-s,gelan-c] [--img 640] [--runs 5]`:
 * eval-mode forward latency (median and spread over runs, after one warm-up) and achieved GFLOP/s,
 * fused and unfused, batch 1. A benchmark prints figures; it asserts nothing.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { loadModelConfig } from "../lib/models/config.ts";
import { buildModelSpec } from "../lib/models/spec.ts";
import { initWeights } from "../lib/models/init.ts";
import { fuseWeights } from "../lib/models/fuse.ts";
import { disposeWeights } from "../lib/models/weights.ts";
import { predict } from "../lib/models/model.ts";
import { summarizeModel } from "../lib/models/summary.ts";
import { runMain, setupBackend } from "./_common.ts";

/** One benchmark row. */
interface Row {
  model: string;
  mode: "forward";
  fused: boolean;
  img: number;
  batch: number;
  median_s: number;
  min_s: number;
  max_s: number;
  runs: number;
  gflops_per_s: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

await runMain(async () => {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      backend: { type: "string" }, json: { type: "boolean" }, models: { type: "string", default: "gelan-s,gelan-c" },
      img: { type: "string", default: "640" }, runs: { type: "string", default: "5" },
    },
  });
  const mode = positionals[0] ?? "forward";
  if (mode !== "forward") throw new Error(`Unknown bench mode "${mode}": expected forward`);
  const backend = await setupBackend(values.backend);
  const img = Number(values.img);
  const runs = Number(values.runs);
  const results: Row[] = [];
  for (const name of values.models!.split(",")) {
    const spec = buildModelSpec(await loadModelConfig(name));
    const cost = summarizeModel(spec, img);
    const weights = initWeights(spec, { seed: 0 });
    for (const fused of [false, true]) {
      const w = fused ? fuseWeights(weights) : weights;
      const x = tf.randomUniform([1, img, img, 3], 0, 1, "float32", 1) as tf.Tensor4D;
      const times: number[] = [];
      for (let r = 0; r <= runs; r++) {
        const t0 = performance.now();
        const y = predict(spec, w, x);
        await y.data();
        y.dispose();
        if (r > 0) times.push((performance.now() - t0) / 1000);
      }
      x.dispose();
      if (fused) disposeWeights(w, weights);
      const m = median(times);
      const row: Row = {
        model: name, mode: "forward", fused, img, batch: 1, median_s: +m.toFixed(4),
        min_s: +Math.min(...times).toFixed(4), max_s: +Math.max(...times).toFixed(4), runs,
        gflops_per_s: +((fused ? cost.gflops_fused : cost.gflops) / m).toFixed(2),
      };
      results.push(row);
      if (!values.json) {
        console.log(
          `${name.padEnd(9)} forward ${fused ? "fused  " : "unfused"} ${img}x${img} b1: median ${m.toFixed(3)} s ` +
            `(min ${row.min_s}, max ${row.max_s}, ${runs} runs), ${row.gflops_per_s} GFLOP/s`,
        );
      }
    }
    disposeWeights(weights);
  }
  if (values.json) console.log(JSON.stringify({ backend, results }));
});
