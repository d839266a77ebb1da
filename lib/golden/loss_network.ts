/**
 * The part of a golden `loss` case that goes through the whole network: gradients of the loss
 * w.r.t. model weights (e.g. `grad.model.0.conv.weight`), with the model in train mode (BatchNorm
 * with batch statistics), compared within 5e-5 x max|ref|.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { RawTensor } from "../io/raw_tensor.ts";
import { toFloat32 } from "../io/raw_tensor.ts";
import { flattenTree, unflattenTree } from "../nn/tree.ts";
import { forwardModel } from "../models/model.ts";
import { disposeWeights } from "../graph/weights.ts";
import { assignLoss, computeLoss, type LossOptions } from "../loss/compute_loss.ts";
import { syncReads } from "../backend/port.ts";
import type { Assignment } from "../loss/tal_assigner.ts";
import { relMaxError } from "../testing/all_close.ts";
import { type GoldenModel, loadGoldenModel } from "./forward.ts";
import { nhwcFromNchw } from "./compare_model.ts";
import { check, type TensorCheck } from "./types.ts";

/** Compare d loss / d weight for every `grad.<weight name>` tensor whose weight the model has. */
export async function networkGradChecks(
  dir: string,
  model: GoldenModel,
  tensors: Map<string, RawTensor>,
  names: string[],
  lossOpts: LossOptions,
): Promise<{ checks: TensorCheck[]; unmatched: string[] }> {
  const { spec, weights } = await loadGoldenModel(dir, model);
  const flat = new Map(flattenTree(weights));
  const wanted = names.filter((n) => flat.has(n.slice("grad.".length)));
  const unmatched = names.filter((n) => !wanted.includes(n));
  const x = nhwcFromNchw(tensors.get("input")!);
  const targets = toFloat32(tensors.get("targets")!);
  const keys = wanted.map((n) => n.slice("grad.".length));
  // Backends without synchronous reads (webgpu): the assignment from a tape-free train-mode pass first.
  let assignments: Assignment[] | undefined;
  if (!syncReads()) {
    const heads = tf.tidy(() => forwardModel(spec, weights, x, { training: true }).heads);
    assignments = await assignLoss(heads, targets, lossOpts);
    tf.dispose(heads);
  }
  const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) => {
    const w = unflattenTree([...flat].map(([k, t]) => [k, keys.includes(k) ? ws[keys.indexOf(k)] : t] as [string, tf.Tensor]));
    const { heads } = forwardModel(spec, w, x, { training: true, stats: new Map() });
    return computeLoss(heads, targets, { ...lossOpts, assignments }).total;
  })(keys.map((k) => flat.get(k)!));
  const checks: TensorCheck[] = [];
  for (const [i, n] of wanted.entries()) {
    const g = grads[i].rank === 4 ? tf.tidy(() => tf.transpose(grads[i], [3, 2, 0, 1])) : grads[i];
    const err = relMaxError(await g.data(), toFloat32(tensors.get(n)!));
    if (g !== grads[i]) g.dispose();
    checks.push(check(`${n} (through the network)`, err, 5e-5));
  }
  const refTotal = toFloat32(tensors.get("loss.total")!)[0];
  checks.push(check("loss.total (through the network)", Math.abs((await value.data())[0] - refTotal) / Math.abs(refTotal), 1e-5));
  tf.dispose([value, ...grads, x]);
  disposeWeights(weights);
  return { checks, unmatched };
}
