/**
 * The training objective of a model, chosen by its head: the YOLOv9 loss (`utils/loss_tal*.py`) for the
 * anchor-free DDetect family, YOLOv7's `ComputeLossOTA` (utils/loss.py of WongKinYiu/yolov7) for the
 * anchor-based IDetect, with its hyp gains scaled as YOLOv7's train.py does. Three loss items either way:
 * [box, cls, dfl] for DDetect heads, [box, cls, obj] for IDetect ({@link lossNames}). Either label
 * assignment can be computed beforehand with awaited reads ({@link assignObjective}, for webgpu).
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Hyp } from "../data/types.ts";
import { HYP_SCRATCH_P5 } from "../data/hyp.ts";
import type { Assignment } from "../loss/tal_assigner.ts";
import { assignLoss, computeLoss } from "../loss/compute_loss.ts";
import type { LevelMatches } from "../loss/yolov7_assign.ts";
import { yolov7AssignAsync, yolov7Gains, yolov7Loss, type Yolov7LossOptions } from "../loss/yolov7_ota.ts";
import { isAnchorBased, type ModelSpec } from "../graph/spec.ts";

/** Names of the three loss items of a model (results.csv columns without the `train/` prefix). */
export function lossNames(spec: ModelSpec): [string, string, string] {
  return isAnchorBased(spec) ? ["box_loss", "cls_loss", "obj_loss"] : ["box_loss", "cls_loss", "dfl_loss"];
}

/** Options of {@link objectiveLoss}. */
export interface ObjectiveOptions {
  /** Hyperparameters (YOLOv7: box, obj, cls, anchor_t, cls_pw, obj_pw, fl_gamma, label_smoothing; default hyp.scratch.p5). */
  hyp?: Readonly<Hyp>;
  /** Training image size (YOLOv7's obj gain scales with (img / 640)^2); default the batch's height. */
  img?: number;
  /** Lead-head guided assignment (YOLOv9 dual heads). */
  lhg?: boolean;
  /** YOLOv9 heads: a label assignment computed beforehand with awaited reads (GPU backends; see `assignLoss`). */
  assignments?: Assignment[];
  /** YOLOv7 heads: the OTA matches computed beforehand with awaited reads (GPU backends; see `yolov7AssignAsync`). */
  matches?: LevelMatches[];
}

/** The label assignment of a loss call computed beforehand: `assignments` (DDetect) or `matches` (IDetect). */
export type ObjectiveAssignment = Pick<ObjectiveOptions, "assignments" | "matches">;

/** YOLOv7 loss options of a model: its anchors and strides, the hyp gains scaled as train.py does. */
function yolov7Options(spec: ModelSpec, levels: readonly tf.Tensor[], opts: ObjectiveOptions): Yolov7LossOptions {
  const hyp = { ...HYP_SCRATCH_P5, ...opts.hyp };
  if ((hyp.fl_gamma ?? 0) > 0) throw new RangeError(`Cannot train ${spec.name}: focal loss (fl_gamma ${hyp.fl_gamma}) is not part of this YOLOv7 loss; expected fl_gamma 0 as in hyp.scratch.p5`);
  if (hyp.loss_ota === 0) throw new RangeError(`Cannot train ${spec.name}: only ComputeLossOTA is available (loss_ota 1), got loss_ota 0`);
  const img = opts.img ?? levels[0].shape[1]! * spec.strides[0];
  const head = spec.layers[spec.layers.length - 1];
  return {
    nc: spec.nc, strides: spec.strides, anchors: head.args.anchors as number[][],
    gains: yolov7Gains({ box: hyp.box, obj: hyp.obj, cls: hyp.cls }, { nc: spec.nc, nl: levels.length, img }),
    anchorT: hyp.anchor_t, clsPw: hyp.cls_pw, objPw: hyp.obj_pw, labelSmoothing: hyp.label_smoothing ?? 0,
  };
}

/**
 * The label assignment {@link objectiveLoss} would compute for `heads`, read with awaited reads (TAL per
 * branch for DDetect heads, lead-head guided when `opts.lhg`; OTA matches for IDetect): spread it into
 * the options of `objectiveLoss` on the same predictions, so the loss reads nothing.
 *
 * @example
 * ```ts
 * const pre = await assignObjective(spec, heads, rows, { hyp });
 * const { total, items } = objectiveLoss(spec, heads, rows, { hyp, ...pre });
 * ```
 */
export async function assignObjective(
  spec: ModelSpec,
  heads: readonly (readonly tf.Tensor[])[],
  targets: ArrayLike<number>,
  opts: ObjectiveOptions = {},
): Promise<ObjectiveAssignment> {
  if (!isAnchorBased(spec)) return { assignments: await assignLoss(heads, targets, { nc: spec.nc, strides: spec.strides, lhg: opts.lhg }) };
  return { matches: await yolov7AssignAsync(heads[0], targets, yolov7Options(spec, heads[0], opts)) };
}

/**
 * The loss of raw head outputs `heads` (per branch, per level) against target rows
 * `[image, class, cx, cy, w, h]`: `total` (to differentiate) and the three items (gains applied, not
 * multiplied by the batch size), in the order of {@link lossNames}.
 *
 * @example
 * ```ts
 * const { total, items } = objectiveLoss(spec, forwardModel(spec, w, x, { training: true }).heads, rows, { hyp });
 * ```
 */
export function objectiveLoss(
  spec: ModelSpec,
  heads: readonly (readonly tf.Tensor[])[],
  targets: ArrayLike<number>,
  opts: ObjectiveOptions = {},
): { total: tf.Scalar; items: tf.Tensor1D } {
  if (!isAnchorBased(spec)) {
    const r = computeLoss(heads, targets, { nc: spec.nc, strides: spec.strides, lhg: opts.lhg, assignments: opts.assignments });
    return { total: r.total, items: r.items };
  }
  const r = yolov7Loss(heads[0], targets, { ...yolov7Options(spec, heads[0], opts), matches: opts.matches });
  // [box, obj, cls] -> [box, cls, obj]: box and cls in the same slots as the YOLOv9 loss.
  const items = r.items;
  const reordered = items.gather([0, 2, 1]) as tf.Tensor1D;
  items.dispose();
  return { total: r.total, items: reordered };
}
