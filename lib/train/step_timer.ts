/**
 * Timing of training steps on a synthetic batch (random images, two boxes each): the measurement
 * behind `deno task bench train` and the ablation plan's time estimates. `warmup` untimed steps first
 * (default 1: kernels compile, buffers are allocated; the JavaScript JIT needs about 10 to reach the
 * pace of a long run), then `steps` timed ones.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelSpec } from "../graph/spec.ts";
import { initWeights } from "../graph/init.ts";
import { paramGroups } from "../optim/param_groups.ts";
import { DEFAULT_HYP } from "./hyp.ts";
import { initTrainState, releaseState, trainStepAsync } from "./train_step.ts";

/** Random images with two boxes per image (the loss needs targets), classes below `nc`. */
export function syntheticBatch(
  batch: number,
  img: number,
  nc: number,
): { images: tf.Tensor4D; targets: Float32Array } {
  const t: number[] = [];
  for (let b = 0; b < batch; b++) {
    t.push(b, b % nc, 0.3, 0.4, 0.2, 0.3, b, (7 * b + 3) % nc, 0.65, 0.6, 0.4, 0.35);
  }
  return {
    images: tf.randomUniform([batch, img, img, 3], 0, 1, "float32", 5) as tf.Tensor4D,
    targets: Float32Array.from(t),
  };
}

/** Seconds of each timed step, the peak resident memory seen, and tfjs' memory after the warm-up and after the last step. */
export interface StepTimes {
  seconds: number[];
  peakRssBytes: number;
  /** Resident memory after the warm-up and after the last step (flat over a long run: no leak). */
  rssBytes: [number, number];
  /** `tf.memory()` after the untimed warm-up steps and after the last (flat = no leak). */
  memory: [TfMemory, TfMemory];
}

/** What `tf.memory()` reports that a leak check reads (`numBytesInGPU` on GPU backends). */
export interface TfMemory {
  numTensors: number;
  numBytesInGPU?: number;
}

/**
 * Time `steps` training steps of `spec` at batch `batch`, `img` px (after `warmup` untimed ones, default 1;
 * `onTimed` is called before the first timed step, e.g. to start a kernel profile).
 * @example
 * ```ts
 * import { buildModelSpec, loadModelConfig } from "../../mod.ts";
 * const spec = buildModelSpec(await loadModelConfig("gelan-t"), { nc: 10 });
 * const { seconds } = await timeTrainSteps(spec, { batch: 2, img: 64, steps: 2 });
 * ```
 */
export async function timeTrainSteps(
  spec: ModelSpec,
  o: { batch: number; img: number; steps: number; warmup?: number; onTimed?: () => void },
): Promise<StepTimes> {
  const weights = initWeights(spec, { seed: 0 });
  const groups = paramGroups(weights);
  let state = initTrainState(weights, groups);
  const cfg = {
    spec,
    groups,
    weightDecay: 5e-4,
    schedule: { hyp: { ...DEFAULT_HYP }, epochs: 100, batch: o.batch, batchesPerEpoch: 1000, nbs: o.batch },
  };
  const data = syntheticBatch(o.batch, o.img, spec.nc);
  const seconds: number[] = [];
  const memory: TfMemory[] = [];
  const rss: number[] = [];
  let peakRssBytes = Deno.memoryUsage().rss;
  try {
    const warmup = Math.max(1, o.warmup ?? 1);
    for (let r = 0; r < warmup + o.steps; r++) {
      if (r === warmup) o.onTimed?.();
      const t0 = performance.now();
      const res = await trainStepAsync(state, data, { epoch: 1, batch: r, ni: 5000 + r, donate: true }, cfg);
      releaseState(state, res.state);
      state = res.state;
      if (r >= warmup) seconds.push((performance.now() - t0) / 1000);
      peakRssBytes = Math.max(peakRssBytes, Deno.memoryUsage().rss);
      if (r < warmup - 1) continue;
      rss.push(Deno.memoryUsage().rss);
      const m = tf.memory() as TfMemory;
      memory.push({
        numTensors: m.numTensors,
        ...(m.numBytesInGPU !== undefined ? { numBytesInGPU: m.numBytesInGPU } : {}),
      });
    }
  } finally {
    releaseState(state);
    data.images.dispose();
  }
  return {
    seconds,
    peakRssBytes,
    rssBytes: [rss[0], rss[rss.length - 1]],
    memory: [memory[0], memory[memory.length - 1]],
  };
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
