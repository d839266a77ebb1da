/**
 * YOLOv9 training loss: box conversions, IoU variants, the task-aligned assigner and the per-branch /
 * multi-branch loss (`utils/loss_tal.py`, `utils/loss_tal_dual.py`, `utils/loss_tal_triple.py`,
 * `utils/tal/assigner.py`, `utils/metrics.py` of the official code; reference spec §4), and YOLOv7's
 * `ComputeLossOTA` (utils/loss.py of WongKinYiu/yolov7).
 * @module
 */
export { bbox2dist, type Bbox2DistOptions, xywh2xyxy, xyxy2xywh } from "./box_convert.ts";
export { bboxIou, type BboxIouOptions, bboxIouPlain, type IouKind } from "./bbox_iou.ts";
export { stopGradient } from "./stop_gradient.ts";
export { type AssignerInput, type AssignerOptions, type Assignment, assignTargets } from "./tal_assigner.ts";
export { type PaddedTargets, preprocessTargets, type PreprocessTargetsOptions } from "./targets.ts";
export {
  branchLoss,
  type BranchLossOptions,
  type BranchPrediction,
  type BranchTerms,
} from "./branch_loss.ts";
export {
  assignBranch,
  assignBranchAsync,
  assignLoss,
  computeLoss,
  decodeBranch,
  DEFAULT_GAINS,
  type LossGains,
  type LossOptions,
  type LossResult,
} from "./compute_loss.ts";
export { ciouWithGrad, computeLossPlain, type PlainHeads, type PlainLossResult } from "./plain_loss.ts";
export { findCandidates, type LevelCandidates, type LevelGeometry } from "./yolov7_candidates.ts";
export { assignOta, type LevelMatches, type LevelValues } from "./yolov7_assign.ts";
export { type Yolov7Gains, yolov7Gains, yolov7HypFor, yolov7Loss, type Yolov7LossOptions, type Yolov7LossResult } from "./yolov7_ota.ts";
