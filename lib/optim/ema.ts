/**
 * Exponential moving average of the model (`ModelEMA`, utils/torch_utils.py; reference spec §5.5):
 * after every optimizer step `d = decay (1 - exp(-updates / tau))` and every floating-point entry of
 * the state dict (parameters and BatchNorm running statistics) becomes `d ema + (1 - d) model`.
 * Integer entries (`num_batches_tracked`) keep the EMA's own value, as in the reference.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { isTree, type Tree } from "../nn/tree.ts";
import { axpbyArrays, newValues, ownedValues, peekValues } from "../backend/port.ts";
import { tensorsOf } from "./flat.ts";

/** EMA state: the averaged weight tree and the number of updates so far. */
export interface EmaState {
  weights: Tree<tf.Tensor>;
  updates: number;
}

/** EMA hyperparameters (ModelEMA defaults 0.9999 and 2000). */
export interface EmaOptions {
  decay?: number;
  tau?: number;
}

/** `ModelEMA.decay(x) = decay * (1 - exp(-x / tau))`. */
export function emaDecay(updates: number, opts: EmaOptions = {}): number {
  return (opts.decay ?? 0.9999) * (1 - Math.exp(-updates / (opts.tau ?? 2000)));
}

function cloneTree(t: Tree<tf.Tensor>): Tree<tf.Tensor> {
  const out: Tree<tf.Tensor> = {};
  for (const [k, v] of Object.entries(t)) out[k] = isTree(v) ? cloneTree(v) : tf.clone(v);
  return out;
}

/** `ModelEMA.__init__`: a copy of the model's weights (new tensors) with `updates` (0 for a new run). */
export function initEma(weights: Tree<tf.Tensor>, updates = 0): EmaState {
  return { weights: cloneTree(weights), updates };
}

/**
 * `ModelEMA.update(model)`: one more update with the model's current weights. Returns a new state;
 * float leaves are new tensors, integer leaves are shared with `ema` (dispose the old state with
 * `disposeWeights(old.weights, new.weights)`). With `inPlace` (a donated state: the caller never uses
 * `ema` again) and every float leaf's storage its own, the leaves are updated in place and the state
 * keeps its weight tree.
 */
export function updateEma(
  ema: EmaState,
  model: Tree<tf.Tensor>,
  opts: EmaOptions = {},
  o: { inPlace?: boolean } = {},
): EmaState {
  const updates = ema.updates + 1;
  const d = emaDecay(updates, opts);
  const pairs = floatPairs(ema.weights, model);
  if (!pairs.length) return { weights: ema.weights, updates };
  // One pass over the leaves' values (flat.ts; one native call where the backend has it): the float32
  // arithmetic of d e + (1 - d) m, in place (each value is read before it is written) or into new arrays.
  const owned = o.inPlace ? pairs.map(([e]) => ownedValues(e)) : [];
  const inPlace = owned.length > 0 && owned.every((v) => v instanceof Float32Array);
  const out = inPlace ? owned as Float32Array[] : pairs.map(([x]) => newValues(x.size));
  const a = Math.fround(d), b = Math.fround(1 - d);
  const ev = pairs.map(([e]) => peekValues(e)), mv = pairs.map(([, m]) => peekValues(m));
  ev.forEach((v, i) => {
    if (v.length !== mv[i].length) throw new RangeError(`Cannot update EMA: ${v.length} averaged values, model has ${mv[i].length}`);
  });
  const ab = new Float32Array(2 * pairs.length).map((_, k) => (k % 2 ? b : a));
  if (!axpbyArrays(ev, mv, out, ab)) {
    out.forEach((o, i) => {
      const e = ev[i], m = mv[i];
      for (let j = 0; j < e.length; j++) o[j] = Math.fround(e[j] * a) + Math.fround(m[j] * b);
    });
  }
  if (inPlace) return { weights: ema.weights, updates };
  const next = tensorsOf(out, pairs.map(([x]) => x.shape));
  let i = 0;
  return { weights: mapFloatLeaves(ema.weights, model, "", () => next[i++]), updates };
}

/**
 * {@link updateEma} as tensor ops (nothing read; for webgpu): every float leaf becomes `e a + m b` with
 * `a = fround(d)`, `b = fround(1 - d)`, the arithmetic of the array update. Integer leaves are shared.
 *
 * @example
 * ```ts
 * const model = { w: tf.tensor1d([1, 2]) };
 * const next = updateEmaDevice(initEma(model), model);
 * ```
 */
export function updateEmaDevice(ema: EmaState, model: Tree<tf.Tensor>, opts: EmaOptions = {}): EmaState {
  const updates = ema.updates + 1;
  const d = emaDecay(updates, opts);
  return tf.tidy(() => {
    const a = tf.scalar(Math.fround(d)), b = tf.scalar(Math.fround(1 - d));
    const weights = mapFloatLeaves(ema.weights, model, "", (e, m) => {
      if (e.size !== m.size) throw new RangeError(`Cannot update EMA: ${e.size} averaged values, model has ${m.size}`);
      return tf.add(tf.mul(e, a), tf.mul(m, b));
    });
    return { weights, updates };
  });
}

const pairCache = new WeakMap<Tree<tf.Tensor>, { model: Tree<tf.Tensor>; pairs: [tf.Tensor, tf.Tensor][] }>();

/**
 * The float32 leaves of `e` with the model's leaf at the same name, memoised for the last model tree
 * of each EMA tree (trees are never changed once built; a donated run keeps both trees).
 */
function floatPairs(e: Tree<tf.Tensor>, m: Tree<tf.Tensor>): readonly [tf.Tensor, tf.Tensor][] {
  const hit = pairCache.get(e);
  if (hit?.model === m) return hit.pairs;
  const pairs: [tf.Tensor, tf.Tensor][] = [];
  mapFloatLeaves(e, m, "", (a, b) => (pairs.push([a, b]), a));
  pairCache.set(e, { model: m, pairs });
  return pairs;
}

/** A copy of `e` whose float32 leaves are `f(leaf, model's leaf)`; other leaves are shared. */
function mapFloatLeaves(
  e: Tree<tf.Tensor>,
  m: Tree<tf.Tensor>,
  path: string,
  f: (e: tf.Tensor, m: tf.Tensor) => tf.Tensor,
): Tree<tf.Tensor> {
  const out: Tree<tf.Tensor> = {};
  for (const k in e) {
    const v = e[k], mv = m[k];
    const sub = isTree(v);
    if (mv === undefined || sub !== isTree(mv)) {
      throw new RangeError(`Cannot update EMA: model has no "${path ? `${path}.${k}` : k}"`);
    }
    if (sub) out[k] = mapFloatLeaves(v, mv as Tree<tf.Tensor>, path ? `${path}.${k}` : k, f);
    else out[k] = v.dtype === "float32" ? f(v, mv as tf.Tensor) : v;
  }
  return out;
}
