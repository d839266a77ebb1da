/**
 * Weights <-> official state_dicts: names are the official keys (`model.0.conv.weight`, ...);
 * conv weights are converted between PyTorch OIHW and tfjs HWIO; float16 is widened to float32.
 * Loading is strict: missing, unexpected and mis-shaped keys are all listed in one error.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { flattenTree, type Tree, unflattenTree } from "../nn/tree.ts";
import { type RawTensor, toFloat32 } from "../io/raw_tensor.ts";
import { modelShapes, type ModelSpec } from "./spec.ts";
import { fuseTree, SHAPE_FOLDER } from "./fuse.ts";

/** The state_dict key shapes a model expects (fused: after {@link fuseTree}). */
export function expectedKeys(spec: ModelSpec, opts: { fused?: boolean } = {}): Map<string, number[]> {
  const shapes = modelShapes(spec);
  return new Map(flattenTree(opts.fused ? fuseTree(shapes, SHAPE_FOLDER) : shapes));
}

function toTensor(t: RawTensor, name: string): tf.Tensor {
  if (name.endsWith("num_batches_tracked")) return tf.scalar(Number(toFloat32(t)[0] ?? 0), "int32");
  const data = toFloat32(t);
  if (t.shape.length !== 4) return tf.tensor(data, t.shape, "float32");
  return tf.tidy(() => tf.transpose(tf.tensor(data, t.shape, "float32"), [2, 3, 1, 0]));
}

const FLOAT_DTYPES: readonly string[] = ["F32", "F16", "BF16", "F64"];

/**
 * What is wrong with the values of `sd`, naming the first bad tensor: a dtype that is not floating (other
 * than `num_batches_tracked`, a counter), or a NaN / infinity; null when all is well.
 */
export function weightValuesProblem(sd: ReadonlyMap<string, RawTensor>): string | null {
  for (const [name, t] of sd) {
    if (name.endsWith("num_batches_tracked")) continue;
    if (!FLOAT_DTYPES.includes(t.dtype)) return `tensor ${name} has dtype ${t.dtype}, expected ${FLOAT_DTYPES.join(" / ")}`;
    const data = t.dtype === "F32" || t.dtype === "F64" ? t.data as Float32Array | Float64Array : toFloat32(t);
    const i = data.findIndex((v: number) => !Number.isFinite(v));
    if (i >= 0) return `tensor ${name} [${t.shape}] holds ${data[i]} at element ${i}, expected finite values`;
  }
  return null;
}

/**
 * Build the weight tree of `spec` from a state_dict. Throws listing every missing, unexpected or
 * mis-shaped key (`source` names the file), and naming a tensor of the wrong dtype or with non-finite
 * values ({@link weightValuesProblem}). With `fused`, expects a fused state_dict.
 */
export function weightsFromStateDict(
  spec: ModelSpec,
  sd: Map<string, RawTensor>,
  opts: { fused?: boolean; source?: string } = {},
): Tree<tf.Tensor> {
  const want = expectedKeys(spec, opts);
  const missing = [...want.keys()].filter((k) => !sd.has(k));
  const unexpected = [...sd.keys()].filter((k) => !want.has(k));
  const misshaped = [...want].filter(([k, s]) => sd.has(k) && sd.get(k)!.shape.join() !== s.join())
    .map(([k, s]) => `${k}: expected [${s}], got [${sd.get(k)!.shape}]`);
  if (missing.length || unexpected.length || misshaped.length) {
    const list = (what: string, xs: string[]) =>
      xs.length ? `\n  ${what} (${xs.length}): ${xs.slice(0, 20).join(", ")}${xs.length > 20 ? ", ..." : ""}` : "";
    throw new RangeError(
      `Cannot load weights ${opts.source ?? ""} into ${spec.name}${opts.fused ? " (fused)" : ""}:` +
        list("missing", missing) + list("unexpected", unexpected) + list("wrong shape", misshaped),
    );
  }
  const bad = weightValuesProblem(sd);
  if (bad) throw new RangeError(`Cannot load weights ${opts.source ?? ""}: ${bad}`);
  return unflattenTree([...want.keys()].map((k) => [k, toTensor(sd.get(k)!, k)] as [string, tf.Tensor]));
}

/** One leaf in PyTorch layout (OIHW for convs), and whether that tensor is a transposed copy to free. */
function torchLayout(tree: Tree<tf.Tensor>): { name: string; t: tf.Tensor; copy: boolean }[] {
  return flattenTree(tree).map(([name, t]) =>
    t.rank === 4 && !name.endsWith("num_batches_tracked")
      ? { name, t: tf.tidy(() => tf.transpose(t, [3, 2, 0, 1])), copy: true }
      : { name, t, copy: false }
  );
}

/** The state_dict entry of a leaf from its (PyTorch-layout) values. */
function rawEntry(name: string, shape: number[], values: ArrayLike<number>): RawTensor {
  return name.endsWith("num_batches_tracked")
    ? { dtype: "I64", shape: [], data: BigInt64Array.from([BigInt(Math.round(values[0]))]) }
    : { dtype: "F32", shape, data: new Float32Array(values) };
}

/**
 * Export a weight tree as a state_dict (float32, OIHW; num_batches_tracked as int64). Reads
 * synchronously (cpu, wasm, native: export); {@link readStateDict} is the same with awaited reads.
 */
export function stateDictFromWeights(tree: Tree<tf.Tensor>): Map<string, RawTensor> {
  const leaves = torchLayout(tree);
  const out = new Map(leaves.map(({ name, t }) => [name, rawEntry(name, t.shape, t.dataSync())]));
  tf.dispose(leaves.filter((l) => l.copy).map((l) => l.t));
  return out;
}

/**
 * {@link stateDictFromWeights} with awaited reads, on every backend (webgpu too): checkpoints and
 * model files are written from it.
 *
 * @example
 * ```ts
 * const sd = await readStateDict(weights);
 * sd.get("model.0.conv.weight")!.shape; // [16, 3, 3, 3]
 * ```
 */
export async function readStateDict(tree: Tree<tf.Tensor>): Promise<Map<string, RawTensor>> {
  const leaves = torchLayout(tree);
  try {
    const values = await Promise.all(leaves.map(({ t }) => t.data()));
    return new Map(leaves.map(({ name, t }, i) => [name, rawEntry(name, t.shape, values[i])]));
  } finally {
    tf.dispose(leaves.filter((l) => l.copy).map((l) => l.t));
  }
}

/** Dispose every tensor of a tree, except those also held by `keep` (e.g. the tree a fused copy came from). */
export function disposeWeights(tree: Tree<tf.Tensor>, keep?: Tree<tf.Tensor>): void {
  const shared = new Set(keep ? flattenTree(keep).map(([, t]) => t) : []);
  for (const [, t] of flattenTree(tree)) if (!shared.has(t)) t.dispose();
}

