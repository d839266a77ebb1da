/**
 * The compiled training pass: the train-mode forward and the backward of a model, recorded once per
 * (model, batch shape) as a program of kernel calls (lib/backend/native/trace.ts) and replayed every
 * step with no tfjs engine work: no tape, no Tensor objects, no model code between the kernels. The
 * loss (data-dependent: TAL or YOLOv7's OTA assignment) runs between the two segments on the head
 * outputs: the YOLOv9 loss on plain arrays with its gradient written out (lib/loss/plain_loss.ts),
 * YOLOv7's taped through tfjs; its gradients with respect to the heads seed the recorded backward.
 * The values are those of the plain pass (`forwardBackward` in train_step.ts): the same kernels on the
 * same inputs, and the loss within float32 rounding.
 *
 * The program has two segments: (0) the forward, bound to the images and the weight leaves, exporting
 * the head outputs and the BatchNorm batch statistics; (1) the backward, bound to the gradients of the
 * loss with respect to the head outputs, exporting the parameter gradients. It is recorded with
 * `sum_i <head_i, seed_i>` as the differentiated value, so the backward of head `i` starts from
 * `seed_i`, which each run binds to the loss gradient.
 *
 * Only where the backend records kernels (`native`); elsewhere, or when a recording cannot be replayed
 * (see {@link compiledStepStatus}), the caller's plain pass runs.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { flattenTree, getPath, isTree, leafMap, type Tree } from "../nn/tree.ts";
import type { BatchStats } from "../nn/tensor_ops.ts";
import { forwardModel } from "../models/model.ts";
import { objectiveLoss } from "../models/objective.ts";
import { computeLossPlain } from "../loss/plain_loss.ts";
import { isAnchorBased, type ModelSpec } from "../graph/spec.ts";
import { type KernelProgram, recordKernels } from "../backend/port.ts";
import { gatherParams } from "../optim/param_groups.ts";
import type { StepBatch, StepConfig, StepPass, TrainState } from "./step_state.ts";

/** A recorded and compiled pass of one model at one batch shape. */
interface Compiled {
  program: KernelProgram;
  /** Weight leaves bound by segment 0 (after the images), by dotted path. */
  leaves: string[];
  /** Levels per head branch (the heads' nesting). */
  branches: number[];
  /** BatchNorm subtree path and values per channel of each exported statistic. */
  stats: { path: string; count: number }[];
  /** Parameter index of each exported gradient (parameters without one get zeros). */
  grads: number[];
  /** Shape of every parameter (gradient order). */
  paramShapes: number[][];
}

type Entry = Compiled | { failed: string };
const cache = new WeakMap<ModelSpec, Map<string, Entry>>();
const programs = new FinalizationRegistry<Map<string, Entry>>((m) => {
  for (const e of m.values()) if ("program" in e) e.program.dispose();
});
let enabled = (() => {
  try {
    return (globalThis as { Deno?: { env: { get(k: string): string | undefined } } }).Deno?.env.get(
      "YOLO_PLAIN_STEP",
    ) !== "1";
  } catch {
    return true;
  }
})();

/**
 * Use the compiled pass where the backend can (`true`, the default; `YOLO_PLAIN_STEP=1` starts with
 * `false`) or always the plain tfjs pass.
 *
 * @example
 * ```ts
 * setCompiledStep(false); // every step through tfjs' engine and tape, e.g. as the reference
 * ```
 */
export function setCompiledStep(on: boolean): void {
  enabled = on;
}

/**
 * How `spec`'s steps at batch shape `shape` run: "compiled" (with the program's kernels per step),
 * "tfjs" (the plain pass: not recorded yet, off, or the backend cannot), or why the recording failed.
 */
export function compiledStepStatus(
  spec: ModelSpec,
  shape: readonly number[],
): { path: "compiled" | "tfjs"; kernels?: number; reason?: string } {
  const e = cache.get(spec)?.get(shape.join("x"));
  if (!enabled || !e) return { path: "tfjs" };
  return "program" in e
    ? { path: "compiled", kernels: e.program.kernels }
    : { path: "tfjs", reason: e.failed };
}

/**
 * The differentiated pass of a training step through the compiled program (recorded at the first
 * call for this model and batch shape), or null where it cannot run: the caller runs the plain pass.
 */
export function compiledPass(state: TrainState, batch: StepBatch, cfg: StepConfig): StepPass | null {
  if (!enabled) return null;
  let byShape = cache.get(cfg.spec);
  if (!byShape) {
    cache.set(cfg.spec, byShape = new Map());
    programs.register(cfg.spec, byShape);
  }
  const key = batch.images.shape.join("x");
  let entry = byShape.get(key);
  if (!entry) {
    const made = compile(state, batch, cfg);
    if (made === null) return null;
    byShape.set(key, entry = made);
  }
  return "program" in entry ? replay(entry, state, batch, cfg) : null;
}

/** Record the pass once (its results are dropped) and compile it; null where the backend records nothing. */
function compile(state: TrainState, batch: StepBatch, cfg: StepConfig): Entry | null {
  const leaves = flattenTree(state.weights).filter(([, t]) => t instanceof tf.Tensor);
  const params = gatherParams(state.weights, cfg.groups.names);
  const stats = new Map<Tree<tf.Tensor>, BatchStats>();
  let heads: tf.Tensor4D[][] = [];
  const seeds: tf.Tensor[] = [];
  const rec = recordKernels((mark) =>
    tf.valueAndGrads((..._ps: tf.Tensor[]) => {
      heads = forwardModel(cfg.spec, state.weights, batch.images, { training: true, stats }).heads;
      heads.flat().forEach((h) => tf.keep(h));
      for (const s of stats.values()) [s.mean, s.variance].forEach((t) => tf.keep(t));
      mark();
      const terms = heads.flat().map((h) => {
        const seed = tf.keep(tf.tensor(new Float32Array(h.size).fill(1), h.shape));
        seeds.push(seed);
        return tf.sum(tf.mul(h, seed));
      });
      return tf.addN(terms) as tf.Scalar;
    })(params)
  );
  if (!rec) return null;
  const { value, grads } = rec.result;
  const flat = heads.flat();
  const statList = [...stats];
  const paths = subtreePaths(state.weights);
  const gradIndex = grads.flatMap((g, i) => (g ? [i] : []));
  const c = rec.compile(
    [[batch.images, ...leaves.map(([, t]) => t)], seeds],
    [[...flat, ...statList.flatMap(([, s]) => [s.mean, s.variance])], gradIndex.map((i) => grads[i])],
  );
  const statPaths = statList.map(([t, s]) => ({ path: paths.get(t) ?? "", count: s.count }));
  tf.dispose([
    value,
    ...grads.filter((g) => g),
    ...flat,
    ...seeds,
    ...statList.flatMap(([, s]) => [s.mean, s.variance]),
  ]);
  if (!c.ok) return { failed: c.reason };
  if (statPaths.some((s) => !s.path)) {
    c.program.dispose();
    return { failed: "a BatchNorm layer of the forward is not a subtree of the weights" };
  }
  return {
    program: c.program,
    leaves: leaves.map(([p]) => p),
    branches: heads.map((b) => b.length),
    stats: statPaths,
    grads: gradIndex,
    paramShapes: params.map((p) => p.shape),
  };
}

/** One pass through the program: forward, the loss and its head gradients in tfjs, backward. */
function replay(c: Compiled, state: TrainState, batch: StepBatch, cfg: StepConfig): StepPass {
  const wrap = (info: tf.TensorInfo) => tf.engine().makeTensorFromTensorInfo(info);
  const byPath = leafMap(state.weights);
  const bound = c.leaves.map((p) => {
    const t = byPath.get(p);
    if (!(t instanceof tf.Tensor)) {
      throw new RangeError(`Cannot run the compiled step: the weights have no "${p}"`);
    }
    return t;
  });
  const run = c.program.run();
  const owned: tf.Tensor[] = [];
  try {
    const out0 = run.segment([batch.images, ...bound]).map(wrap);
    owned.push(...out0);
    let at = 0;
    const heads = c.branches.map((n) => out0.slice(at, at += n) as tf.Tensor4D[]);
    const nHeads = at;
    const { value, items, grads: dHeads } = headLoss(heads, batch, cfg);
    owned.push(...dHeads.filter((g) => g));
    const seeds = dHeads.map((g, i) => g ?? tf.zerosLike(out0[i]));
    owned.push(...seeds.filter((g, i) => g !== dHeads[i]));
    const out1 = run.segment(seeds).map(wrap);
    const grads: (tf.Tensor | undefined)[] = c.paramShapes.map(() => undefined);
    c.grads.forEach((p, k) => grads[p] = out1[k]);
    const stats = new Map<Tree<tf.Tensor>, BatchStats>();
    c.stats.forEach((s, k) => {
      const layer = getPath(state.weights, s.path) as Tree<tf.Tensor>;
      stats.set(layer, {
        mean: out0[nHeads + 2 * k] as tf.Tensor1D,
        variance: out0[nHeads + 2 * k + 1] as tf.Tensor1D,
        count: s.count,
      });
    });
    // The caller owns the statistics and gradients; the head outputs and their gradients are dropped.
    tf.dispose(owned.filter((_, i) => i >= nHeads + 2 * c.stats.length || i < nHeads));
    return { value, grads: grads.map((g, i) => g ?? tf.zeros(c.paramShapes[i])), items: items!, stats };
  } catch (e) {
    tf.dispose(owned);
    throw e;
  } finally {
    run.close();
  }
}

/**
 * The loss of the head outputs and its gradients with respect to them: on plain arrays for the YOLOv9
 * loss (lib/loss/plain_loss.ts: the same values, without some 150 taped tensor ops), taped through
 * tfjs for YOLOv7's OTA loss.
 */
function headLoss(
  heads: tf.Tensor4D[][],
  batch: StepBatch,
  cfg: StepConfig,
): { value: tf.Scalar; items: tf.Tensor1D; grads: tf.Tensor[] } {
  const { spec } = cfg;
  if (!isAnchorBased(spec)) {
    const shapes = heads[0].map((h) => [h.shape[1], h.shape[2]] as const);
    const data = heads.map((b) => b.map((h) => h.dataSync() as Float32Array));
    const r = computeLossPlain({ batch: heads[0][0].shape[0], shapes, data }, batch.targets, {
      nc: spec.nc,
      strides: spec.strides,
      lhg: cfg.lhg,
    });
    const flat = heads.flat();
    return {
      value: tf.scalar(r.total),
      items: tf.tensor1d(r.items),
      grads: r.grads.flat().map((g, i) => tf.tensor(g, flat[i].shape)),
    };
  }
  let items: tf.Tensor1D | undefined;
  const { value, grads } = tf.valueAndGrads((...hs: tf.Tensor[]) => {
    let i = 0;
    const loss = objectiveLoss(spec, heads.map((b) => hs.slice(i, i += b.length) as tf.Tensor4D[]), batch.targets, {
      hyp: cfg.schedule.hyp,
      img: cfg.img,
      lhg: cfg.lhg,
    });
    items = tf.keep(loss.items);
    return loss.total;
  })(heads.flat());
  return { value, items: items!, grads };
}

/** The dotted path of every subtree of `tree`. */
function subtreePaths(
  tree: Tree<tf.Tensor>,
  prefix = "",
  out = new Map<Tree<tf.Tensor>, string>(),
): Map<Tree<tf.Tensor>, string> {
  for (const [k, v] of Object.entries(tree)) {
    if (!isTree(v)) continue;
    const path = prefix ? `${prefix}.${k}` : k;
    out.set(v, path);
    subtreePaths(v, path, out);
  }
  return out;
}
