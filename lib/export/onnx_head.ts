/**
 * The eval-mode decoding of a `DDetect` head as ONNX nodes (`DDetect.forward` with `export=True`, paper
 * Sec. 4; the same steps as `../head/decode.ts`): per level `(N, 64 + nc, H, W)` flattened and concatenated
 * to `(N, 64 + nc, A)`, DFL expectation over 16 bins, `dist2bbox` (xywh) times the stride, sigmoid class
 * scores; output `(N, 4 + nc, A)`. Anchor points and strides are computed inside the graph from each
 * level's runtime shape, so the same graph serves any batch and image size (`--dynamic`).
 * @module
 */
import { REG_MAX } from "../head/decode.ts";
import type { OnnxGraph } from "./onnx_graph.ts";
import type { Sym } from "./onnx_ops.ts";

/** Anchor centres `(2, H*W)` (x, y in grid units) and strides `(1, H*W)` of one level, from its shape. */
function levelAnchors(g: OnnxGraph, level: string, stride: number): { points: string; strides: string } {
  const shape = g.op("Shape", [level]);
  const coord = (axis: number) => {
    const n = g.op("Gather", [shape, g.int64([axis], true)], { axis: 0 });
    const r = g.op("Cast", [g.op("Range", [g.int64([0], true), n, g.int64([1], true)])], { to: 1 });
    return g.op("Add", [r, g.float([0.5], [])]);
  };
  const hw = g.op("Shape", [level], { start: 2, end: 4 });
  const xs = g.op("Expand", [g.op("Unsqueeze", [coord(3), g.int64([0])]), hw]);
  const ys = g.op("Expand", [g.op("Unsqueeze", [coord(2), g.int64([1])]), hw]);
  const flat = (v: string) => g.op("Reshape", [v, g.int64([1, -1])]);
  const fx = flat(xs);
  const points = g.op("Concat", [fx, flat(ys)], { axis: 0 });
  const strides = g.op("Expand", [g.float([stride], [1, 1]), g.op("Shape", [fx])]);
  return { points, strides };
}

/** Decode raw head levels (NCHW values) to `(N, 4 + nc, A)`; returns the output value's name. */
export function decodeHeadOnnx(g: OnnxGraph, levels: Sym[], strides: readonly number[], nc: number): string {
  if (levels.length !== strides.length) {
    throw new RangeError(`Cannot decode head: ${levels.length} levels for ${strides.length} strides`);
  }
  const no = 4 * REG_MAX + nc;
  const flat = levels.map((l) => g.op("Reshape", [l.name, g.int64([0, no, -1])]));
  const x = flat.length === 1 ? flat[0] : g.op("Concat", flat, { axis: 2 });
  const [box, cls] = g.node("Split", [x, g.int64([4 * REG_MAX, nc])], { axis: 1 }, 2);
  // DFL: softmax over the bins of each side, expectation with weights 0..15.
  const bins = g.op("Softmax", [g.op("Reshape", [box, g.int64([0, 4, REG_MAX, -1])])], { axis: 2 });
  const proj = g.float(Array.from({ length: REG_MAX }, (_, i) => i), [1, 1, REG_MAX, 1]);
  const dist = g.op("ReduceSum", [g.op("Mul", [bins, proj]), g.int64([2])], { keepdims: 0 });
  const anchors = levels.map((l, i) => levelAnchors(g, l.name, strides[i]));
  const points = anchors.length === 1
    ? anchors[0].points
    : g.op("Concat", anchors.map((a) => a.points), { axis: 1 });
  const stride = anchors.length === 1
    ? anchors[0].strides
    : g.op("Concat", anchors.map((a) => a.strides), { axis: 1 });
  // dist2bbox(xywh=True): centre = (x1y1 + x2y2) / 2, wh = x2y2 - x1y1; then times the stride.
  const [lt, rb] = g.node("Split", [dist, g.int64([2, 2])], { axis: 1 }, 2);
  const x1y1 = g.op("Sub", [points, lt]);
  const x2y2 = g.op("Add", [points, rb]);
  const centre = g.op("Div", [g.op("Add", [x1y1, x2y2]), g.float([2], [])]);
  const wh = g.op("Sub", [x2y2, x1y1]);
  const boxes = g.op("Mul", [g.op("Concat", [centre, wh], { axis: 1 }), stride]);
  return g.op("Concat", [boxes, g.op("Sigmoid", [cls])], { axis: 1 });
}
