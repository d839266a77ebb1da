/**
 * Golden case "assigner": `utils/tal/assigner.py` TaskAlignedAssigner on stored inputs (golden README,
 * Case 4). Integer outputs (labels, foreground mask) must match exactly, float outputs to 1e-5 of the
 * tensor's largest magnitude.
 * @module
 */
import { readSafetensors } from "../io/safetensors.ts";
import { type RawTensor, toFloat32 } from "../io/raw_tensor.ts";
import { relMaxError } from "../testing/all_close.ts";
import { assignTargets } from "../loss/tal_assigner.ts";
import { type CaseReport, check } from "./types.ts";

function need(tensors: Map<string, RawTensor>, name: string, source: string): RawTensor {
  const t = tensors.get(name);
  if (!t) throw new RangeError(`Cannot run assigner case ${source}: tensor "${name}" is missing`);
  return t;
}

function mismatches(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let n = 0;
  for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) n++;
  return n;
}

/**
 * Run one assigner golden case `<dir>/<stem>.safetensors`: hyperparameters from the sidecar's `params`
 * (topk, num_classes, alpha, beta, eps), shapes from the stored tensors.
 */
export async function runAssignerCase(
  dir: string,
  stem: string,
  sidecar: Record<string, unknown>,
  _opts: { backend?: string } = {},
): Promise<CaseReport> {
  const { tensors } = await readSafetensors(`${dir}/${stem}.safetensors`);
  const get = (name: string) => need(tensors, name, stem);
  const params = (sidecar.params ?? {}) as Record<string, number>;
  const scores = get("in.pd_scores");
  const [bs, na, ncStored] = scores.shape;
  const nMax = get("in.gt_bboxes").shape[1];
  const nc = params.num_classes ?? ncStored;
  const res = assignTargets({
    batch: bs,
    numAnchors: na,
    nMax,
    pdScores: toFloat32(scores),
    pdBboxes: toFloat32(get("in.pd_bboxes")),
    ancPoints: toFloat32(get("in.anc_points")),
    gtLabels: toFloat32(get("in.gt_labels")),
    gtBboxes: toFloat32(get("in.gt_bboxes")),
    maskGt: toFloat32(get("in.mask_gt")),
  }, { numClasses: nc, topk: params.topk, alpha: params.alpha, beta: params.beta, eps: params.eps });
  const fgRef = toFloat32(get("out.fg_mask"));
  const checks = [
    check(
      "out.target_labels",
      mismatches(res.targetLabels, toFloat32(get("out.target_labels"))),
      0,
      "mismatching entries",
    ),
    check("out.fg_mask", mismatches(res.fgMask, fgRef), 0, "mismatching entries"),
    check("out.target_bboxes", relMaxError(res.targetBboxes, toFloat32(get("out.target_bboxes"))), 1e-5),
    check("out.target_scores", relMaxError(res.targetScores, toFloat32(get("out.target_scores"))), 1e-5),
  ];
  const fg = fgRef.reduce((s, v) => s + v, 0);
  checks[1].note = `mismatching entries (${fg} foreground anchors in the reference)`;
  return { case: "assigner", stem, checks };
}
