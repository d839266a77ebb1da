/**
 * NMS inside the exported graph, in the End2End layout of the official export (`export.py --include onnx_end2end`,
 * TensorRT's EfficientNMS outputs): `num_dets (N, 1)` int32, `det_boxes (N, max_det, 4)` xyxy in input pixels,
 * `det_scores (N, max_det)`, `det_classes (N, max_det)` int32, rows past `num_dets` zero. The selection is
 * `non_max_suppression` of utils/general.py with its defaults (as `../eval/nms.ts`): best class per box,
 * score > conf, class-aware through the `max_wh` = 7680 box offset, IoU > iou suppressed, at most max_det
 * per image, by ONNX `NonMaxSuppression` on one offset "class".
 * @module
 */
import type { OnnxGraph } from "./onnx_graph.ts";

/** Thresholds of the End2End NMS (detect.py defaults: 0.25, 0.45, 1000). */
export interface NmsGraphOptions {
  conf: number;
  iou: number;
  maxDet: number;
}

/** The four End2End outputs' value names. */
export interface End2EndOutputs {
  numDets: string;
  boxes: string;
  scores: string;
  classes: string;
}

const MAX_WH = 7680;

/** Append NMS to a `(N, 4 + nc, A)` prediction `pred` of images `images`; returns the output values. */
export function appendNms(g: OnnxGraph, pred: string, images: string, o: NmsGraphOptions): End2EndOutputs {
  if (!(o.conf >= 0 && o.conf <= 1) || !(o.iou >= 0 && o.iou <= 1)) {
    throw new RangeError(`Cannot add NMS: expected --conf and --iou in 0..1, got ${o.conf} and ${o.iou}`);
  }
  if (!(Number.isInteger(o.maxDet) && o.maxDet > 0)) {
    throw new RangeError(`Cannot add NMS: expected --max-det > 0, got ${o.maxDet}`);
  }
  const i64 = (v: number) => g.int64([v]);
  // (N, 4, A) boxes and (N, nc, A) scores.
  const xywh = g.op("Slice", [pred, i64(0), i64(4), i64(1)]);
  const scores = g.op("Slice", [pred, i64(4), i64(1 << 30), i64(1)]);
  const best = g.op("ReduceMax", [scores], { axes: [1], keepdims: 1 }); // (N, 1, A)
  const label = g.op("Cast", [g.op("ArgMax", [scores], { axis: 1, keepdims: 1 })], { to: 1 }); // (N, 1, A)
  const [c, wh] = g.node("Split", [xywh, g.int64([2, 2])], { axis: 1 }, 2);
  const half = g.op("Div", [wh, g.float([2], [])]);
  const xyxy = g.op("Transpose", [
    g.op("Concat", [g.op("Sub", [c, half]), g.op("Add", [c, half])], { axis: 1 }),
  ], { perm: [0, 2, 1] });
  const offset = g.op("Transpose", [g.op("Mul", [label, g.float([MAX_WH], [])])], { perm: [0, 2, 1] }); // (N, A, 1)
  const shifted = g.op("Add", [xyxy, offset]);
  const selected = g.op("NonMaxSuppression", [
    shifted,
    best,
    g.int64([o.maxDet]),
    g.float([o.iou]),
    g.float([o.conf]),
  ], { center_point_box: 0 }); // (K, 3): batch, class (0), box
  const batchIdx = g.op("Gather", [selected, g.int64([0], true)], { axis: 1 }); // (K)
  const boxIdx = g.op("Gather", [selected, g.int64([2], true)], { axis: 1 });
  const col = (v: string) => g.op("Unsqueeze", [v, g.int64([1])]);
  const at = g.op("Concat", [col(batchIdx), col(boxIdx)], { axis: 1 }); // (K, 2)
  const squeeze = (v: string) => g.op("Squeeze", [v, g.int64([1])]);
  const keptBoxes = g.op("GatherND", [xyxy, at]); // (K, 4)
  const keptScores = g.op("GatherND", [squeeze(best), at]); // (K)
  const keptLabels = g.op("GatherND", [squeeze(label), at]);
  // Row of each kept box within its image: the running count of its batch index.
  const n = g.op("Shape", [images], { start: 0, end: 1 }); // (1)
  const batches = g.op("Range", [g.int64([0], true), g.op("Squeeze", [n, g.int64([0])]), g.int64([1], true)]);
  const oneHot = g.op("Cast", [g.op("Equal", [col(batchIdx), g.op("Unsqueeze", [batches, g.int64([0])])])], {
    to: 7,
  }); // (K, N)
  const running = g.op("CumSum", [oneHot, g.int64([0], true)]);
  const row = g.op("Sub", [
    g.op("ReduceSum", [g.op("Mul", [running, oneHot]), g.int64([1])], { keepdims: 0 }),
    g.int64([1], true),
  ]);
  const dest = g.op("Concat", [col(batchIdx), col(row)], { axis: 1 }); // (K, 2)
  const zeros = (dims: string) => g.op("ConstantOfShape", [dims]);
  const boxesShape = g.op("Concat", [n, g.int64([o.maxDet, 4])], { axis: 0 });
  const rowsShape = g.op("Concat", [n, g.int64([o.maxDet])], { axis: 0 });
  const countsF = g.op("ReduceSum", [oneHot, g.int64([0])], { keepdims: 0 }); // (N)
  return {
    numDets: g.op("Cast", [g.op("Unsqueeze", [countsF, g.int64([1])])], { to: 6 }),
    boxes: g.op("ScatterND", [zeros(boxesShape), dest, keptBoxes]),
    scores: g.op("ScatterND", [zeros(rowsShape), dest, keptScores]),
    classes: g.op("Cast", [g.op("ScatterND", [zeros(rowsShape), dest, keptLabels])], { to: 6 }),
  };
}
