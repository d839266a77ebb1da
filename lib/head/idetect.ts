/**
 * `IDetect` (models/yolo.py of YOLOv7): the anchor-based head of YOLOv7 (paper Table 6, first row).
 * Per level a YOLOR `ImplicitA` (a learned per-channel offset added to the input), a 1x1 conv to
 * na x (5 + nc) outputs, and a YOLOR `ImplicitM` (a learned per-channel scale); na anchors per level,
 * given in pixels by the config's `anchors` rows. Raw output per level: NHWC `[B, H, W, na * (5 + nc)]`,
 * channel `a * (5 + nc) + k` = output k (x, y, w, h, obj, classes...) of anchor a, as the official
 * `view(bs, na, no, ny, nx)`. After fusing (`IDetect.fuse`) the implicit layers are folded into the conv.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Ops } from "../nn/ops.ts";
import { getPath, leaf, sub, type Tree } from "../nn/tree.ts";
import { conv2dShapes } from "../nn/conv.ts";

/** Arguments of `IDetect(nc, anchors, ch)`. */
export interface IDetectArgs {
  nc: number;
  /** Per level the anchors in pixels, `[w0, h0, w1, h1, ...]` (the config's `anchors` rows). */
  anchors: number[][];
  /** Input channels of every level. */
  ch: number[];
}

/** Outputs per anchor: x, y, w, h, objectness, nc class logits. */
export function outputsPerAnchor(nc: number): number {
  return nc + 5;
}

/** Anchors per level. */
export function anchorsPerLevel(a: Pick<IDetectArgs, "anchors">): number {
  return a.anchors[0].length / 2;
}

/** Check the anchors of a config row: one list of [w, h] pairs per level, the same count on every level. */
export function checkAnchors(anchors: unknown, levels: number): string | null {
  if (!Array.isArray(anchors) || anchors.length !== levels) {
    return `expected ${levels} anchor rows (one per input level, [w0, h0, w1, h1, ...] in pixels), got ${JSON.stringify(anchors)}`;
  }
  const n = (anchors[0] as unknown[])?.length;
  for (const row of anchors) {
    if (!Array.isArray(row) || row.length !== n || n % 2 || !n || !row.every((v) => typeof v === "number" && v > 0)) {
      return `expected every anchor row to hold the same even number of positive sizes, got ${JSON.stringify(anchors)}`;
    }
  }
  return null;
}

/** Parameter shapes of IDetect (training form), keyed as the official state_dict (buffers excluded). */
export function idetectShapes(a: IDetectArgs): Tree<number[]> {
  const no = outputsPerAnchor(a.nc) * anchorsPerLevel(a);
  const m: Tree<number[]> = {}, ia: Tree<number[]> = {}, im: Tree<number[]> = {};
  a.ch.forEach((c, i) => {
    m[i] = conv2dShapes(c, no, 1, 1, true);
    ia[i] = { implicit: [1, c, 1, 1] };
    im[i] = { implicit: [1, no, 1, 1] };
  });
  return { m, ia, im };
}

/** Raw head outputs (one branch): per level `im * conv(x + ia)`; a fused tree has no `ia` / `im`. */
export function idetectForward<T, P>(o: Ops<T, P>, p: Tree<P>, xs: T[], a: IDetectArgs): T[][] {
  if (xs.length !== a.ch.length) throw new RangeError(`Cannot run IDetect: expected ${a.ch.length} levels, got ${xs.length}`);
  const fused = !p.ia;
  return [xs.map((x, i) => {
    const xi = fused ? x : o.implicit(x, leaf(sub(sub(p, "ia"), i), "implicit"), "add");
    const y = o.conv2d(sub(sub(p, "m"), i), xi, { pad: 0 });
    return fused ? y : o.implicit(y, leaf(sub(sub(p, "im"), i), "implicit"), "mul");
  })];
}

/**
 * The anchors of each level in pixels as `[w, h]` pairs, after `check_anchor_order` (models/yolo.py):
 * when the anchor areas run against the strides, the level order is reversed.
 */
export function levelAnchors(a: Pick<IDetectArgs, "anchors">, strides: readonly number[]): [number, number][][] {
  const levels = a.anchors.map((row) => Array.from({ length: row.length / 2 }, (_, k) => [row[2 * k], row[2 * k + 1]] as [number, number]));
  const areas = levels.flat().map(([w, h]) => w * h);
  const da = areas[areas.length - 1] - areas[0];
  const ds = strides[strides.length - 1] - strides[0];
  return Math.sign(da) !== Math.sign(ds) ? levels.reverse() : levels;
}

/**
 * `_initialize_biases` and the implicit layers' init of YOLOv7, in place on a weight tree whose conv
 * biases hold PyTorch's default init: objectness bias += ln(8 / (640 / s)^2), class biases
 * += ln(0.6 / (nc - 0.99)); ImplicitA ~ N(0, 0.02), ImplicitM ~ N(1, 0.02) (seeded). Old tensors are disposed.
 */
export function initIDetect(tree: Tree<tf.Tensor>, at: string, a: IDetectArgs, strides: readonly number[], seed = 0): void {
  const no = outputsPerAnchor(a.nc);
  const head = getPath(tree, at) as Tree<tf.Tensor>;
  strides.forEach((s, i) => {
    const m = sub(sub(head, "m"), i);
    const old = leaf(m, "bias");
    const add = new Float32Array(old.size);
    for (let j = 0; j < add.length; j++) {
      const k = j % no;
      add[j] = k === 4 ? Math.log(8 / (640 / s) ** 2) : k >= 5 ? Math.log(0.6 / (a.nc - 0.99)) : 0;
    }
    m.bias = tf.tidy(() => tf.add(old, tf.tensor1d(add)));
    old.dispose();
    for (const [key, mean] of [["ia", 0], ["im", 1]] as const) {
      const p = sub(sub(head, key), i);
      const prev = leaf(p, "implicit");
      // tfjs layout of a [1, C, 1, 1] parameter (OIHW -> HWIO), as loaded state_dicts have it.
      p.implicit = tf.randomNormal([1, 1, prev.size, 1], mean, 0.02, "float32", seed * 7919 + 104729 + 2 * i + (key === "im" ? 1 : 0));
      prev.dispose();
    }
  });
}
