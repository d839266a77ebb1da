/**
 * `deno task bench ops [--backend X] [--runs 20] [--json]`: single convolutions in isolation, forward
 * and forward + backward (input and filter gradients for a given output gradient), so that kernels
 * can be compared with PyTorch on the same shapes (`scripts/bench_ops_torch.py` prints the same rows).
 * Median, min and max over runs after warm-up, and achieved GFLOP/s (2 x multiply-adds; forward +
 * backward counts 3 convolutions). Also runnable alone: `deno run -A cli/bench_ops.ts`.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { runMain, setupBackend } from "./_common.ts";
import { intFlag } from "./args.ts";

/** One convolution shape: NHWC input, square kernel, output channels, stride. */
export interface ConvShape {
  n: number;
  h: number;
  w: number;
  c: number;
  k: number;
  o: number;
  s: number;
}

/** The shapes of `deno task bench ops`: the reference conv, then typical YOLO layers. */
export const OP_SHAPES: readonly ConvShape[] = [
  { n: 1, h: 80, w: 80, c: 64, k: 3, o: 64, s: 1 },
  { n: 1, h: 160, w: 160, c: 32, k: 3, o: 64, s: 2 },
  { n: 1, h: 80, w: 80, c: 128, k: 1, o: 128, s: 1 },
  { n: 4, h: 40, w: 40, c: 128, k: 3, o: 128, s: 1 },
];

/** One result row (`mode` "fwd" or "fwd+bwd"). */
export interface OpRow {
  model: string;
  op: "conv2d";
  mode: "fwd" | "fwd+bwd";
  shape: ConvShape;
  median_s: number;
  min_s: number;
  max_s: number;
  runs: number;
  gflops_per_s: number;
}

/** Label of a shape, e.g. `conv3x3 s1 [1,80,80,64]->64`. */
export function shapeLabel(s: ConvShape): string {
  return `conv${s.k}x${s.k} s${s.s} [${s.n},${s.h},${s.w},${s.c}]->${s.o}`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function timeRuns(runs: number, f: () => void): number[] {
  for (let i = 0; i < 3; i++) f();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    times.push((performance.now() - t0) / 1000);
  }
  return times;
}

/** Time one shape on the current backend: forward, and forward + both gradients. */
export function benchConv(s: ConvShape, runs: number): OpRow[] {
  const pad = Math.floor(s.k / 2);
  const x = tf.randomUniform([s.n, s.h, s.w, s.c], -1, 1, "float32", 1) as tf.Tensor4D;
  const w = tf.randomUniform([s.k, s.k, s.c, s.o], -0.1, 0.1, "float32", 2) as tf.Tensor4D;
  const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s.s, pad);
  const y0 = conv(x, w);
  const dy = tf.randomUniform(y0.shape, -1, 1, "float32", 3);
  const flops = 2 * y0.size * s.c * s.k * s.k;
  y0.dispose();
  const grads = tf.grads(conv);
  const modes: [OpRow["mode"], () => void, number][] = [
    ["fwd", () => {
      conv(x, w).dataSync();
    }, flops],
    ["fwd+bwd", () => {
      const y = conv(x, w);
      const [gx, gw] = grads([x, w], dy);
      gx.dataSync();
      gw.dataSync();
      tf.dispose([y, gx, gw]);
    }, 3 * flops],
  ];
  const rows = modes.map(([mode, f, fl]) => {
    const times = timeRuns(runs, () => tf.tidy(f));
    const m = median(times);
    return {
      model: shapeLabel(s),
      op: "conv2d" as const,
      mode,
      shape: s,
      median_s: +m.toFixed(6),
      min_s: +Math.min(...times).toFixed(6),
      max_s: +Math.max(...times).toFixed(6),
      runs,
      gflops_per_s: +(fl / m / 1e9).toFixed(1),
    };
  });
  tf.dispose([x, w, dy]);
  return rows;
}

/** Options of {@link benchOps}. */
export interface BenchOpsOptions {
  backend?: string;
  runs?: number;
  json?: boolean;
  shapes?: readonly ConvShape[];
}

/** `deno task bench ops`: every shape of {@link OP_SHAPES}, printed as a table or as JSON. */
export async function benchOps(opts: BenchOpsOptions = {}): Promise<OpRow[]> {
  const backend = await setupBackend(opts.backend);
  const runs = opts.runs ?? 20;
  const results: OpRow[] = [];
  for (const s of opts.shapes ?? OP_SHAPES) {
    for (const row of benchConv(s, runs)) {
      results.push(row);
      if (!opts.json) {
        console.log(
          `${row.model.padEnd(30)} ${row.mode.padEnd(7)} median ${(row.median_s * 1e3).toFixed(2)} ms ` +
            `(min ${(row.min_s * 1e3).toFixed(2)}, max ${(row.max_s * 1e3).toFixed(2)}, ${runs} runs) ` +
            `${row.gflops_per_s} GFLOP/s`,
        );
      }
    }
  }
  if (opts.json) console.log(JSON.stringify({ backend, results }));
  return results;
}

if (import.meta.main) {
  await runMain(async () => {
    const { values } = parseArgs({
      args: Deno.args,
      allowPositionals: true,
      options: {
        backend: { type: "string" },
        json: { type: "boolean" },
        runs: { type: "string", default: "20" },
      },
    });
    await benchOps({ backend: values.backend, json: values.json, runs: intFlag(values.runs, "runs", 1) });
  });
}
