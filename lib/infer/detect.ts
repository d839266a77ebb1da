/**
 * Inference on single images as `detect.py` / `detect_dual.py`: letterbox with `auto` (pad to a multiple
 * of the stride), eval-mode forward of the main branch, NMS (conf 0.25, IoU 0.45, best class only, at most
 * 1000), boxes mapped back to the original image (`scale_boxes`), and the outputs `--save-txt --save-conf`
 * writes (`cls cx cy w h conf`, normalised, `%g`) plus a JSON record.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tree } from "../nn/tree.ts";
import type { ModelSpec } from "../graph/spec.ts";
import { predict } from "../models/model.ts";
import { nonMaxSuppression } from "../eval/nms.ts";
import type { RgbImage } from "../data/image.ts";
import { letterbox } from "../data/letterbox.ts";
import { formatG } from "../io/format_g.ts";
import type { Precision } from "../backend/port.ts";

/** Options of {@link detectImage} (detect.py defaults). */
export interface DetectOptions {
  img?: number;
  conf?: number;
  iou?: number;
  maxDet?: number;
  agnostic?: boolean;
  /** Arithmetic of the fused convolutions (fused weights only; see `ForwardOptions.precision`). */
  precision?: Precision;
}

/** Detections of one image: rows [x1, y1, x2, y2, conf, cls] in original pixels. */
export interface ImageDetections {
  width: number;
  height: number;
  n: number;
  rows: Float32Array;
}

/** Detect objects in one RGB image (see the module doc); the predictions are read with `await`. */
export async function detectImage(
  spec: ModelSpec,
  weights: Tree<tf.Tensor>,
  image: RgbImage,
  opts: DetectOptions = {},
): Promise<ImageDetections> {
  const size = opts.img ?? 640;
  const stride = Math.max(...spec.strides, 32);
  const lb = letterbox(image, [size, size], { auto: true, stride });
  const { width: w, height: h } = lb.image;
  const x = tf.tidy(() => tf.div(tf.tensor4d(lb.image.pixels, [1, h, w, 3], "int32").toFloat(), 255) as tf.Tensor4D);
  const pred = predict(spec, weights, x, { precision: opts.precision });
  const [det] = nonMaxSuppression({ data: await pred.data(), shape: pred.shape }, {
    confThres: opts.conf ?? 0.25, iouThres: opts.iou ?? 0.45, maxDet: opts.maxDet ?? 1000, agnostic: opts.agnostic,
  });
  tf.dispose([x, pred]);
  const rows = det.rows.slice();
  for (let i = 0; i < det.n; i++) {
    for (let k = 0; k < 4; k++) {
      const isX = k % 2 === 0;
      const v = (rows[6 * i + k] - lb.pad[isX ? 0 : 1]) / lb.ratio;
      rows[6 * i + k] = Math.min(Math.max(v, 0), isX ? image.width : image.height);
    }
  }
  return { width: image.width, height: image.height, n: det.n, rows };
}

/** YOLO-format lines `cls cx cy w h conf` (normalised by the image size, Python `%g`). */
export function yoloTxtLines(d: ImageDetections): string[] {
  const out: string[] = [];
  for (let i = 0; i < d.n; i++) {
    const [x1, y1, x2, y2, conf, cls] = d.rows.subarray(6 * i, 6 * i + 6);
    const vals = [cls, (x1 + x2) / 2 / d.width, (y1 + y2) / 2 / d.height, (x2 - x1) / d.width, (y2 - y1) / d.height, conf];
    out.push(vals.map((v) => formatG(v, 6)).join(" "));
  }
  return out;
}

/** One JSON record per detection: class id and name, confidence, box [x1, y1, x2, y2] in pixels. */
export function detectionRecords(
  d: ImageDetections,
  names: readonly string[],
): { class: number; name: string; confidence: number; box: [number, number, number, number] }[] {
  return Array.from({ length: d.n }, (_, i) => {
    const r = d.rows.subarray(6 * i, 6 * i + 6);
    const round = (v: number) => Math.round(v * 1000) / 1000;
    return {
      class: r[5], name: names[r[5]] ?? String(r[5]), confidence: Math.round(r[4] * 1e5) / 1e5,
      box: [round(r[0]), round(r[1]), round(r[2]), round(r[3])],
    };
  });
}
