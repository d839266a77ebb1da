/**
 * Box helpers on plain arrays (no tfjs) for NMS and evaluation, each with the arithmetic of the code it mirrors:
 * float32 (`Math.fround` after every operation) where the reference works on float32 torch tensors, float64
 * where pycocotools works in C doubles. Boxes are flat arrays of 4 numbers per box.
 * @module
 */

const f = Math.fround;

/** A flat array of boxes, 4 numbers per box. */
export type BoxArray = ArrayLike<number>;

function checkBoxes(boxes: BoxArray, what: string): number {
  if (boxes.length % 4 !== 0) {
    throw new RangeError(`${what}: expected 4 numbers per box, got ${boxes.length} numbers`);
  }
  return boxes.length / 4;
}

/** cx,cy,w,h -> x1,y1,x2,y2 in float32 (utils/general.py xywh2xyxy on a float32 tensor). */
export function xywhToXyxyF32(boxes: BoxArray): Float32Array {
  const n = checkBoxes(boxes, "xywhToXyxyF32");
  const out = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const cx = f(boxes[4 * i]), cy = f(boxes[4 * i + 1]);
    const hw = f(f(boxes[4 * i + 2]) / 2), hh = f(f(boxes[4 * i + 3]) / 2);
    out[4 * i] = cx - hw;
    out[4 * i + 1] = cy - hh;
    out[4 * i + 2] = cx + hw;
    out[4 * i + 3] = cy + hh;
  }
  return out;
}

/** x1,y1,x2,y2 -> cx,cy,w,h in float32 (utils/general.py xyxy2xywh on a float32 tensor). */
export function xyxyToXywhF32(boxes: BoxArray): Float32Array {
  const n = checkBoxes(boxes, "xyxyToXywhF32");
  const out = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const x1 = f(boxes[4 * i]), y1 = f(boxes[4 * i + 1]), x2 = f(boxes[4 * i + 2]), y2 = f(boxes[4 * i + 3]);
    out[4 * i] = f(x1 + x2) / 2;
    out[4 * i + 1] = f(y1 + y2) / 2;
    out[4 * i + 2] = x2 - x1;
    out[4 * i + 3] = y2 - y1;
  }
  return out;
}

/** Areas (x2-x1)*(y2-y1) of xyxy boxes in float32, as torchvision's CPU nms computes them. */
export function boxAreasF32(boxes: BoxArray): Float32Array {
  const n = checkBoxes(boxes, "boxAreasF32");
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = f(boxes[4 * i + 2] - boxes[4 * i]) * f(boxes[4 * i + 3] - boxes[4 * i + 1]);
  }
  return out;
}

/**
 * IoU of boxes i and j of one xyxy array with precomputed areas, in float32 exactly as torchvision's CPU nms
 * kernel (torchvision/csrc/ops/cpu/nms_kernel.cpp): `inter / (area_i + area_j - inter)`, no epsilon.
 */
export function nmsIouF32(boxes: BoxArray, areas: ArrayLike<number>, i: number, j: number): number {
  const w = Math.max(
    0,
    f(Math.min(boxes[4 * i + 2], boxes[4 * j + 2]) - Math.max(boxes[4 * i], boxes[4 * j])),
  );
  const h = Math.max(
    0,
    f(Math.min(boxes[4 * i + 3], boxes[4 * j + 3]) - Math.max(boxes[4 * i + 1], boxes[4 * j + 1])),
  );
  const inter = f(w * h);
  return f(inter / f(f(areas[i] + areas[j]) - inter));
}

/**
 * Pairwise IoU matrix (N x M, row-major) of xyxy boxes in float32 with utils/metrics.py box_iou's formula:
 * `inter / (area1 + area2 - inter + eps)`, eps = 1e-7.
 */
export function boxIouMatrixF32(box1: BoxArray, box2: BoxArray, eps = 1e-7): Float32Array {
  const n = checkBoxes(box1, "boxIouMatrixF32 box1"), m = checkBoxes(box2, "boxIouMatrixF32 box2");
  const e = f(eps);
  const a1 = boxAreasF32(box1), a2 = boxAreasF32(box2);
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const w = Math.max(
        0,
        f(Math.min(box1[4 * i + 2], box2[4 * j + 2]) - Math.max(box1[4 * i], box2[4 * j])),
      );
      const h = Math.max(
        0,
        f(Math.min(box1[4 * i + 3], box2[4 * j + 3]) - Math.max(box1[4 * i + 1], box2[4 * j + 1])),
      );
      const inter = f(w * h);
      out[i * m + j] = f(inter / f(f(f(a1[i] + a2[j]) - inter) + e));
    }
  }
  return out;
}

/**
 * IoU matrix (D x G, row-major) of COCO boxes [x, y, w, h] in float64, as pycocotools' maskApi.c bbIou:
 * zero without overlap; for a crowd ground truth the union is the detection's area.
 */
export function cocoBoxIou(dt: BoxArray, gt: BoxArray, iscrowd: ArrayLike<number | boolean>): Float64Array {
  const m = checkBoxes(dt, "cocoBoxIou dt"), n = checkBoxes(gt, "cocoBoxIou gt");
  if (iscrowd.length !== n) {
    throw new RangeError(`cocoBoxIou: ${n} ground truths but ${iscrowd.length} iscrowd flags`);
  }
  const out = new Float64Array(m * n);
  for (let g = 0; g < n; g++) {
    const gx = gt[4 * g], gy = gt[4 * g + 1], gw = gt[4 * g + 2], gh = gt[4 * g + 3];
    const ga = gw * gh;
    const crowd = Boolean(iscrowd[g]);
    for (let d = 0; d < m; d++) {
      const dx = dt[4 * d], dy = dt[4 * d + 1], dw = dt[4 * d + 2], dh = dt[4 * d + 3];
      const da = dw * dh;
      const w = Math.min(dw + dx, gw + gx) - Math.max(dx, gx);
      if (w <= 0) continue;
      const h = Math.min(dh + dy, gh + gy) - Math.max(dy, gy);
      if (h <= 0) continue;
      const i = w * h;
      out[d * n + g] = i / (crowd ? da : da + ga - i);
    }
  }
  return out;
}
