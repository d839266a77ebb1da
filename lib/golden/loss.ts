/**
 * Golden case "loss": `utils/loss_tal.py` / `loss_tal_dual.py` ComputeLoss on stored raw head outputs
 * (golden README, Case 3). Checks `loss.total` / `loss.items` (1e-5 relative), the gradients w.r.t. the
 * stored predictions (5e-5 x max|ref|), the head's final-bias gradients (= sums of the prediction
 * gradients over B, H, W of the matching channels) and the empty-target path. Gradients that need the
 * network itself (e.g. `grad.model.0.conv.weight`) are listed in `skipped`.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend/backend.ts";
import { readSafetensors } from "../io/safetensors.ts";
import { type RawTensor, toFloat32 } from "../io/raw_tensor.ts";
import { relMaxError } from "../testing/all_close.ts";
import { assignLoss, computeLoss, type LossOptions } from "../loss/compute_loss.ts";
import { syncReads } from "../backend/port.ts";
import { type CaseReport, check, type TensorCheck } from "./types.ts";
import { networkGradChecks } from "./loss_network.ts";
import type { GoldenModel } from "./forward.ts";

const PRED = /^pred\.(\d+)(?:\.(\d+))?$/;
const HEAD_BIAS = /^grad\.model\.\d+\.cv(\d+)\.(\d+)\.2\.bias$/;

function nchwToNhwc(t: RawTensor): tf.Tensor4D {
  return tf.tidy(() =>
    tf.transpose(tf.tensor4d(toFloat32(t), t.shape as [number, number, number, number]), [0, 2, 3, 1])
  );
}

/** Values of a tensor made by `f` (read with await), which is then disposed. */
async function readOnce(f: () => tf.Tensor): Promise<Float32Array> {
  const t = f();
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

function nhwcToNchwData(t: tf.Tensor): Promise<Float32Array> {
  return readOnce(() => tf.transpose(t, [0, 3, 1, 2]));
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * Loss options from the sidecar JSON (model.nc, model.strides, hyperparameters), falling back to the
 * defaults; nc falls back to the prediction channels minus the box bins.
 */
export function lossOptions(sidecar: Record<string, unknown>, channels: number, branches: number): LossOptions {
  const model = (sidecar.model ?? {}) as { nc?: number; strides?: number[] };
  const hyp = (sidecar.hyperparameters ?? {}) as Record<string, unknown>;
  const asg = (hyp.assigner ?? {}) as LossOptions["assigner"];
  const bw = hyp.dual_branch_weights ?? hyp.branch_weights;
  const regMax = typeof hyp.dfl_reg_max_in_BboxLoss === "number" ? hyp.dfl_reg_max_in_BboxLoss + 1 : 16;
  return {
    nc: model.nc ?? channels - 4 * regMax,
    strides: model.strides ?? [8, 16, 32],
    gains: { box: hyp.box as number ?? 7.5, cls: hyp.cls as number ?? 0.5, dfl: hyp.dfl as number ?? 1.5 },
    branchWeights: bw && branches > 1 ? Object.values(bw as Record<string, number>) : undefined,
    lhg: String(sidecar.loss_class ?? "").includes("ComputeLossLH"),
    assigner: asg,
    regMax,
  };
}

/**
 * Run one loss golden case `<dir>/<stem>.safetensors` on the backend `opts.backend` (default: the
 * current one). Branches and levels are read from the `pred.<level>` / `pred.<branch>.<level>` names.
 */
export async function runLossCase(
  dir: string,
  stem: string,
  sidecar: Record<string, unknown>,
  opts: { backend?: string } = {},
): Promise<CaseReport & { skipped: string[] }> {
  if (opts.backend) await initBackend(opts.backend, { quiet: true });
  const { tensors } = await readSafetensors(`${dir}/${stem}.safetensors`);
  const get = (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new RangeError(`Cannot run loss case ${stem}: tensor "${name}" is missing`);
    return t;
  };
  // pred names -> [branch][level]
  const names: string[][] = [];
  for (const name of [...tensors.keys()].sort()) {
    const m = PRED.exec(name);
    if (!m) continue;
    const [branch, level] = m[2] === undefined ? [0, Number(m[1])] : [Number(m[1]), Number(m[2])];
    (names[branch] ??= [])[level] = name.slice("pred.".length);
  }
  if (names.length === 0) throw new RangeError(`Cannot run loss case ${stem}: no "pred.*" tensors found`);
  const flatKeys = names.flat();
  const preds = flatKeys.map((k) => nchwToNhwc(get(`pred.${k}`)));
  const lossOpts = lossOptions(sidecar, preds[0].shape[3], names.length);
  const split = (p: tf.Tensor[]) => {
    let i = 0;
    return names.map((br) => br.map(() => p[i++]));
  };
  const checks: TensorCheck[] = [];
  const run = async (prefix: string, rows: Float32Array) => {
    let items: tf.Tensor1D | undefined;
    // Backends without synchronous reads (webgpu): the assignment first, with awaited reads.
    const assignments = syncReads() ? undefined : await assignLoss(split(preds), rows, lossOpts);
    const { value, grads } = tf.valueAndGrads((...p: tf.Tensor[]) => {
      const res = computeLoss(split(p), rows, { ...lossOpts, assignments });
      items = tf.keep(res.items);
      return res.total;
    })(preds);
    const total = (await value.data())[0];
    const refTotal = toFloat32(get(`${prefix}loss.total`))[0];
    checks.push(
      check(
        `${prefix}loss.total`,
        Math.abs(total - refTotal) / Math.abs(refTotal),
        1e-5,
        `${total} vs ${refTotal}`,
      ),
    );
    if (tensors.has(`${prefix}loss.items`)) {
      const it = await items!.data(), refIt = toFloat32(get(`${prefix}loss.items`));
      ["box", "cls", "dfl"].forEach((n, i) => {
        const err = refIt[i] === 0 ? Math.abs(it[i]) : Math.abs(it[i] - refIt[i]) / Math.abs(refIt[i]);
        checks.push(check(`${prefix}loss.items[${i}] (${n})`, err, 1e-5, `${it[i]} vs ${refIt[i]}`));
      });
    }
    const gradData = new Map(flatKeys.map((k, i) => [k, grads[i]] as const));
    for (const [k, g] of gradData) {
      if (!tensors.has(`${prefix}grad.pred.${k}`)) continue; // the case checks what it holds
      checks.push(
        check(
          `${prefix}grad.pred.${k}`,
          relMaxError(await nhwcToNchwData(g), toFloat32(get(`${prefix}grad.pred.${k}`))),
          5e-5,
        ),
      );
    }
    tf.dispose([value, items!]);
    return gradData;
  };
  const skipped: string[] = [];
  const gradData = await run("", toFloat32(get("targets")));
  // Final 1x1-conv bias of head branch cvX at a level: sum over B, H, W of that level's pred gradient.
  // cv2/cv3 = box/class channels of branch 0, cv4/cv5 of branch 1, cv6/cv7 of branch 2.
  const refGrads = [...gradData.keys()].filter((k) => tensors.has(`grad.pred.${k}`));
  const scale = Math.max(1e-30, ...refGrads.map((k) => maxAbs(toFloat32(get(`grad.pred.${k}`)))));
  for (const name of [...tensors.keys()].filter((n) => n.startsWith("grad.model.")).sort()) {
    const m = HEAD_BIAS.exec(name);
    const cv = m ? Number(m[1]) : -1;
    const key = m ? names[Math.floor((cv - 2) / 2)]?.[Number(m[2])] : undefined;
    if (!m || cv < 2 || key === undefined) {
      skipped.push(name);
      continue;
    }
    const g = gradData.get(key)!;
    const summed = await readOnce(() => tf.sum(g, [0, 1, 2]));
    const part = cv % 2 === 0 ? summed.slice(0, 64) : summed.slice(64);
    const ref = toFloat32(get(name));
    const refMax = maxAbs(ref);
    // Levels without foreground have (numerically) zero box-bias gradients: compare against the case's scale.
    const err = refMax > 1e-9 ? relMaxError(part, ref) : maxAbs(part.map((v, i) => v - ref[i])) / scale;
    checks.push(
      check(name, err, 5e-5, refMax > 1e-9 ? undefined : "reference ~0: max|diff| / max|grad.pred|"),
    );
  }
  for (const g of gradData.values()) g.dispose();
  if (skipped.length && sidecar.model && tensors.has("input")) {
    // Gradients w.r.t. model weights: through the whole train-mode network.
    const net = await networkGradChecks(dir, sidecar.model as GoldenModel, tensors, skipped, lossOpts);
    checks.push(...net.checks);
    skipped.splice(0, skipped.length, ...net.unmatched);
  }
  if (tensors.has("empty.loss.total")) tf.dispose([...(await run("empty.", new Float32Array(0))).values()]);
  tf.dispose(preds);
  return { case: "loss", stem, checks, skipped };
}
