/**
 * `deno task bench [forward|train|ops] [--backend X] [--json] [--models ...] [--img N] [--batch N] [--runs N] [--warmup N]`:
 * - `forward` (default models gelan-s,gelan-c, img 640): eval-mode forward latency (median and spread over
 *   runs, after one warm-up) and achieved GFLOP/s, fused and unfused, batch 1; `--precision bf16` runs the
 *   fused rows' convolutions in bfloat16 (native backend with AVX512_BF16 or AMX), `winograd` their 3x3
 *   stride-1 convolutions as float32 Winograd F(4x4, 3x3) (native backend with AVX-512); `--profile` times the
 *   fused rows' kernels (`deno task bench forward --models gelan-c --threads 2 --profile`).
 * - `train` (default models gelan-s,yolov9-s, img 320, batch 4): one full training iteration (`trainStepAsync`:
 *   train-mode forward, dual/single loss, backward, clip, SGD, EMA, BatchNorm statistics; an optimizer step
 *   every iteration), median and spread after `--warmup N` untimed steps (default 10: the JIT's pace of a long run), images/s, GFLOP/s counted as 3 x the
 *   training graph's forward FLOPs, the resident memory and `tf.memory()`'s tensor count (and GPU bytes)
 *   after the warm-up and after the last step: flat when nothing leaks (`--runs 1000` for a long check). `--width F` applies the ablations'
 *   scaling rule to the configs, `--nc N` sets the classes, `--threads N` the native backend's threads.
 *   `--profile` (native backend) times every kernel of the timed steps and prints, per step, each
 *   kernel's calls and milliseconds and the time outside kernels (tfjs engine, tape, loss, optimizer):
 *   `deno task bench train --models gelan-s --width 0.125 --nc 10 --batch 64 --img 64 --threads 1 --profile`.
 * - `compare`: ours beside PyTorch on the same YAML, interleaved (cli/bench_compare.ts).
 * On webgpu the JSON names the adapter (`adapter`). A benchmark prints figures; it asserts nothing.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { loadModelConfig } from "../lib/models/shipped.ts";
import { benchOps } from "./bench_ops.ts";
import { buildModelSpec } from "../lib/models/build.ts";
import { initWeights } from "../lib/graph/init.ts";
import { fuseWeights } from "../lib/graph/fuse.ts";
import { disposeWeights } from "../lib/graph/weights.ts";
import { predict } from "../lib/models/model.ts";
import { summarizeModel } from "../lib/graph/summary.ts";
import { precisionFlag, runMain, setupBackend } from "./_common.ts";
import { imgFlag, intFlag, numberFlag } from "./args.ts";
import { benchCompare, benchSpec, setThreads } from "./bench_compare.ts";
import { median, timeTrainSteps } from "../lib/train/step_timer.ts";
import { webgpuAdapter } from "../lib/backend/backend.ts";
import { describeAdapter } from "../lib/backend/webgpu_port.ts";
import type { Precision } from "../lib/backend/port.ts";
import { leanTape } from "../lib/backend/lean_tape.ts";
import { compiledStepStatus } from "../lib/train/compiled_step.ts";
import {
  formatProfile,
  type KernelTime,
  nativeProfile,
  setNativeProfiling,
} from "../lib/backend/native/mod.ts";

/** What every benchmark row of a model carries: timings in seconds over `runs` runs. */
interface TimedRow {
  model: string;
  img: number;
  batch: number;
  median_s: number;
  min_s: number;
  max_s: number;
  runs: number;
  gflops_per_s: number;
}

/** One training-step benchmark row. */
interface TrainRow extends TimedRow {
  mode: "train";
  images_per_s: number;
  peak_rss_mb: number;
  threads: number;
  /** The ablation width multiple applied to the config (1: as shipped). */
  width: number;
  gflop_per_step: number;
  /** How the differentiated pass ran: a recorded kernel program (lib/train/compiled_step.ts) or tfjs' engine and tape. */
  path: "compiled" | "tfjs";
  /** The gradient tape: `lean` (saved tensors without clone kernels, lib/backend/lean_tape.ts) or tfjs' `stock` one. */
  tape: "lean" | "stock";
  /** Untimed steps before the timed ones. */
  warmup: number;
  /** `tf.memory().numTensors` after the warm-up and after the last step (flat: no leak). */
  tensors: [number, number];
  /** Resident memory (MB) after the warm-up and after the last step. */
  rss_mb: [number, number];
  /** `tf.memory().numBytesInGPU` after the first and after the last step (GPU backends only). */
  gpu_bytes?: [number, number];
  /** With `--profile`: milliseconds per step inside kernels, kernel calls per step, and the slowest kernels. */
  profile?: { kernel_ms: number; calls: number; kernels: KernelTime[] };
}

async function benchTrain(
  name: string,
  o: {
    img: number;
    batch: number;
    runs: number;
    warmup: number;
    json: boolean;
    width: number;
    nc?: number;
    threads: number;
    profile: boolean;
  },
): Promise<TrainRow> {
  const { img, batch, runs, json, warmup } = o;
  const spec = await benchSpec(name, o);
  const cost = summarizeModel(spec, img);
  const onTimed = o.profile ? () => setNativeProfiling(true) : undefined;
  const { seconds: times, peakRssBytes: peak, rssBytes, memory: [first, end] } = await timeTrainSteps(spec, {
    batch,
    img,
    steps: runs,
    warmup,
    onTimed,
  });
  setNativeProfiling(false);
  const mb = (b: number) => Math.round(b / 2 ** 20);
  const m = median(times);
  const row: TrainRow = {
    model: name,
    mode: "train",
    img,
    batch,
    median_s: +m.toFixed(4),
    min_s: +Math.min(...times).toFixed(4),
    max_s: +Math.max(...times).toFixed(4),
    runs,
    images_per_s: +(batch / m).toFixed(3),
    gflops_per_s: +((3 * cost.gflops * batch) / m).toFixed(2),
    peak_rss_mb: mb(peak),
    threads: o.threads,
    width: o.width,
    gflop_per_step: +(3 * cost.gflops * batch).toFixed(4),
    path: compiledStepStatus(spec, [batch, img, img, 3]).path,
    tape: leanTape() ? "lean" : "stock",
    warmup,
    tensors: [first.numTensors, end.numTensors],
    rss_mb: [mb(rssBytes[0]), mb(rssBytes[1])],
    ...(first.numBytesInGPU !== undefined
      ? { gpu_bytes: [first.numBytesInGPU, end.numBytesInGPU!] as [number, number] }
      : {}),
  };
  if (o.profile) {
    const kernels = nativeProfile();
    const per = (x: number) => +(x / runs).toFixed(3);
    row.profile = {
      kernel_ms: per(kernels.reduce((s, k) => s + k.ms, 0)),
      calls: per(kernels.reduce((s, k) => s + k.calls, 0)),
      kernels: kernels.map((k) => ({ ...k, calls: per(k.calls), ms: per(k.ms) })),
    };
  }
  if (!json) {
    console.log(
      `${name.padEnd(9)} train ${img}x${img} b${batch} width ${o.width} ${o.threads}t: median ${
        m.toFixed(3)
      } s/step (min ${row.min_s}, max ${row.max_s}, ` +
        `${runs} steps after ${warmup}, ${row.path} step, ${row.tape} tape), ${row.images_per_s} img/s, ${row.gflops_per_s} GFLOP/s, ` +
        `RSS ${row.rss_mb.join(" -> ")} MB (peak ${row.peak_rss_mb}), tensors ${row.tensors.join(" -> ")}${
          row.gpu_bytes ? `, GPU bytes ${row.gpu_bytes.join(" -> ")}` : ""
        }`,
    );
    if (row.profile) {
      console.log(`per step (mean of ${runs}):\n${formatProfile(30, runs)}`);
      console.log(
        `outside kernels ${
          (1000 * (times.reduce((s, t) => s + t, 0) / runs) - row.profile.kernel_ms).toFixed(2)
        } ms (mean step minus kernel time)`,
      );
    }
  }
  return row;
}

/** One forward benchmark row. */
interface Row extends TimedRow {
  mode: "forward";
  fused: boolean;
  /** Arithmetic of the fused convolutions (`bf16` only on fused rows). */
  precision: Precision;
}

await runMain(async () => {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      backend: { type: "string" },
      json: { type: "boolean" },
      models: { type: "string" },
      img: { type: "string" },
      runs: { type: "string" },
      batch: { type: "string" },
      warmup: { type: "string" },
      width: { type: "string" },
      nc: { type: "string" },
      threads: { type: "string" },
      anchor: { type: "string" },
      rounds: { type: "string" },
      profile: { type: "boolean" },
      precision: { type: "string" },
      forward: { type: "boolean" },
    },
  });
  const mode = positionals[0] ?? "forward";
  if (!["forward", "train", "ops", "compare"].includes(mode)) {
    throw new Error(`Unknown bench mode "${mode}": expected forward, train, ops or compare`);
  }
  if (mode === "compare") return void (await benchCompare(values));
  const threads = setThreads(values.threads);
  if (mode === "ops") {
    return void (await benchOps({
      backend: values.backend,
      json: !!values.json,
      runs: Math.max(intFlag(values.runs ?? "20", "runs", 1), 20),
    }));
  }
  const backend = await setupBackend(values.backend);
  const gpu = backend === "webgpu" ? webgpuAdapter() : undefined;
  const where = gpu ? { adapter: describeAdapter(gpu) } : {};
  const train = mode === "train";
  if (values.profile && backend !== "native") {
    throw new Error(`--profile times the native backend's kernels: expected --backend native, got ${backend}`);
  }
  const img = imgFlag(values.img ?? (train ? "320" : "640"));
  const runs = intFlag(values.runs ?? "5", "runs", 1);
  const models = (values.models ?? (train ? "gelan-s,yolov9-s" : "gelan-s,gelan-c")).split(",");
  if (train) {
    const rows: TrainRow[] = [];
    const o = {
      img,
      batch: intFlag(values.batch ?? "4", "batch", 1),
      runs,
      json: !!values.json,
      threads,
      warmup: intFlag(values.warmup ?? "10", "warmup", 1),
      width: numberFlag(values.width, "width", { min: 0.01, max: 1 }) ?? 1,
      nc: numberFlag(values.nc, "nc", { int: true, min: 1 }),
      profile: !!values.profile,
    };
    for (const name of models) rows.push(await benchTrain(name, o));
    if (values.json) console.log(JSON.stringify({ backend, ...where, results: rows }));
    return;
  }
  const { precision, kernel } = precisionFlag(values.precision, backend);
  if (precision !== "fp32" && !values.json) console.log(`${precision} convolutions: ${kernel}`);
  const results: Row[] = [];
  for (const name of models) {
    const spec = buildModelSpec(await loadModelConfig(name));
    const cost = summarizeModel(spec, img);
    const weights = initWeights(spec, { seed: 0 });
    for (const fused of [false, true]) {
      const w = fused ? fuseWeights(weights) : weights;
      const x = tf.randomUniform([1, img, img, 3], 0, 1, "float32", 1) as tf.Tensor4D;
      const times: number[] = [];
      for (let r = 0; r <= runs; r++) {
        if (r === 1 && fused && values.profile) setNativeProfiling(true);
        const t0 = performance.now();
        const y = predict(spec, w, x, { precision: fused ? precision : "fp32" });
        await y.data();
        y.dispose();
        if (r > 0) times.push((performance.now() - t0) / 1000);
      }
      x.dispose();
      if (fused) disposeWeights(w, weights);
      setNativeProfiling(false);
      const m = median(times);
      const row: Row = {
        model: name,
        mode: "forward",
        fused,
        precision: fused ? precision : "fp32",
        img,
        batch: 1,
        median_s: +m.toFixed(4),
        min_s: +Math.min(...times).toFixed(4),
        max_s: +Math.max(...times).toFixed(4),
        runs,
        gflops_per_s: +((fused ? cost.gflops_fused : cost.gflops) / m).toFixed(2),
      };
      results.push(row);
      if (!values.json) {
        console.log(
          `${name.padEnd(9)} forward ${
            fused ? "fused  " : "unfused"
          } ${row.precision} ${img}x${img} b1: median ${m.toFixed(3)} s ` +
            `(min ${row.min_s}, max ${row.max_s}, ${runs} runs), ${row.gflops_per_s} GFLOP/s`,
        );
        if (fused && values.profile) console.log(`per forward (mean of ${runs}):\n${formatProfile(30, runs)}`);
      }
    }
    disposeWeights(weights);
  }
  if (values.json) console.log(JSON.stringify({ backend, ...where, results }));
});
