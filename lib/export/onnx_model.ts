/**
 * ONNX export of an inference model (the official `export.py --include onnx`, opset 17): input `images`
 * `(N, 3, H, W)` float32 in [0, 1], output `output0` `(N, 4 + nc, A)` (boxes cx, cy, w, h in input pixels,
 * then class scores), or with `nms` the End2End outputs `num_dets, det_boxes, det_scores, det_classes`.
 * `dynamic` makes batch, height and width symbolic. The graph is recorded by running the library's own
 * forward with {@link OnnxOps}; weights must be fused and single-branch (see `inference.ts`).
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { mapTree, type Tree } from "../nn/tree.ts";
import { forwardLayers, type ModelSpec } from "../graph/spec.ts";
import { type Dim, OnnxGraph } from "./onnx_graph.ts";
import { NamedParam, OnnxOps, type Sym } from "./onnx_ops.ts";
import { decodeHeadOnnx } from "./onnx_head.ts";
import { appendNms, type NmsGraphOptions } from "./onnx_nms.ts";

/** The opset every export uses. */
export const ONNX_OPSET = 17;

/** Options of {@link exportOnnx}. */
export interface OnnxExportOptions {
  /** Image size [height, width] (the fixed size, and the size shapes are traced at with `dynamic`). */
  img: [number, number];
  /** Fixed batch size (default 1); ignored with `dynamic`. */
  batch?: number;
  /** Symbolic batch, height and width. */
  dynamic?: boolean;
  /** Append End2End NMS with these thresholds. */
  nms?: NmsGraphOptions;
  /** Extra `metadata_props` (stride, names, ...). */
  metadata?: Record<string, string>;
}

/** The ONNX model bytes of a fused single-branch model. */
export function exportOnnx(spec: ModelSpec, weights: Tree<tf.Tensor>, o: OnnxExportOptions): Uint8Array {
  if (spec.branches !== 1) {
    throw new RangeError(
      `Cannot export ${spec.name} to ONNX: ${spec.branches} head branches; remove the auxiliary branch first`,
    );
  }
  const [h, w] = o.img;
  const stride = Math.max(...spec.strides);
  if (!(h > 0 && w > 0 && h % stride === 0 && w % stride === 0)) {
    throw new RangeError(
      `Cannot export ${spec.name}: image size ${h}x${w} must be a positive multiple of the stride ${stride}`,
    );
  }
  const batch = o.batch ?? 1;
  const g = new OnnxGraph();
  const dims = (fixed: number, name: string): Dim => (o.dynamic ? name : fixed);
  const n = dims(batch, "batch");
  g.input("images", "float32", [n, 3, dims(h, "height"), dims(w, "width")]);
  const params = mapTree(weights, (t, name) => new NamedParam(name, t));
  const image: Sym = { name: "images", shape: [batch, h, w, 3] };
  const layers = forwardLayers(new OnnxOps(g), spec, params, image);
  const heads = layers[layers.length - 1] as Sym[][];
  const pred = decodeHeadOnnx(g, heads[0], spec.strides, spec.nc);
  const anchors = heads[0].reduce((a, l) => a + l.shape[1] * l.shape[2], 0);
  if (o.nms) {
    const e = appendNms(g, pred, "images", o.nms);
    g.output(e.numDets, "int32", [n, 1], "num_dets");
    g.output(e.boxes, "float32", [n, o.nms.maxDet, 4], "det_boxes");
    g.output(e.scores, "float32", [n, o.nms.maxDet], "det_scores");
    g.output(e.classes, "int32", [n, o.nms.maxDet], "det_classes");
  } else {
    g.output(pred, "float32", [n, 4 + spec.nc, dims(anchors, "anchors")], "output0");
  }
  return g.encode({
    opset: ONNX_OPSET,
    name: spec.name,
    docString: `${spec.name}, exported by yolov9-ts`,
    metadata: { stride: String(stride), nc: String(spec.nc), ...o.metadata },
  });
}
