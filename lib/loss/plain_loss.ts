/**
 * The YOLOv9 training loss and its gradient with respect to the raw head outputs, on plain arrays:
 * the same value as {@link computeLoss} (utils/loss_tal.py, loss_tal_dual.py, loss_tal_triple.py;
 * paper Sec. 4.2 / reference spec §4), but the gradient is written out by hand instead of taped
 * through some 150 small tensor ops. At the ablations' sizes (84 anchors an image at 64 px) those ops
 * cost about a fifth of a training step in engine work; here the whole loss is a few loops (used by the
 * compiled training step, lib/train/compiled_step.ts).
 *
 * Per branch (weight w_b, S = max(sum of target scores, 1)), with `p` the DFL bin softmax, `d` its
 * expectation and `box = (ax - d0, ay - d1, ax + d2, ay + d3)` in grid units:
 * - class: `sum softplus(x) - x t` / S, gradient `(sigmoid(x) - t) / S`;
 * - box: `sum_i w_i (1 - CIoU_i)` / S, CIoU's alpha constant (as the reference); the box gradient goes
 *   to the bins through `dd_k / dz_kj = p_kj (j - d_k)`;
 * - DFL: `-sum bins log p` / S, gradient `-(bins - p sum(bins)) / S`.
 * Total = batch x sum over branches and items of gain x w_b x term. The assignment is the shared TAL
 * code on the decoded values (float32, as the tfjs path reads them). The decoding (one exponential or
 * two per value) runs in one native call where the backend port has it (`decodeLossArrays`, csrc/loss.c:
 * the same double-precision arithmetic), and as the loop below elsewhere.
 * @module
 */
import { makeAnchors } from "../head/anchors.ts";
import { REG_MAX } from "../head/decode.ts";
import { branchAssignments, defaultBranchWeights } from "../pgi/branch_weights.ts";
import { type AssignContext, assignValues, DEFAULT_GAINS, type LossOptions } from "./compute_loss.ts";
import type { Assignment } from "./tal_assigner.ts";
import { anchorWeights, dflTarget } from "./branch_loss.ts";
import { preprocessTargets } from "./targets.ts";
import { decodeLossArrays } from "../backend/port.ts";

/** Raw head outputs of every branch as NHWC [B, H, W, 4 regMax + nc] values, with the level shapes [H, W]. */
export interface PlainHeads {
  batch: number;
  shapes: readonly (readonly [number, number])[];
  /** Per branch (auxiliary first, main last), per level. */
  data: readonly (readonly Float32Array[])[];
}

/** Result of {@link computeLossPlain}. */
export interface PlainLossResult {
  /** (box + cls + dfl) x batch size. */
  total: number;
  /** [box, cls, dfl] after gains and branch weights (not multiplied by the batch). */
  items: [number, number, number];
  /** d total / d head output, same layout as the input. */
  grads: Float32Array[][];
}

/** A branch decoded on arrays: boxes (grid units, xyxy), class probabilities, bin softmax, and where each anchor lives. */
interface Decoded {
  boxes: Float32Array;
  probs: Float32Array;
  /** softplus of each class logit (the BCE's first term). */
  softplus: Float64Array;
  /** Bin softmax and its expectation (the side distances), filled only where the assigner can read the box (`need`). */
  bins: Float64Array;
  dist: Float64Array;
  level: Int32Array;
  offset: Int32Array;
}

const EPS = 1e-7, K = 4 / Math.PI ** 2;

/**
 * Anchors whose box the assigner can read: inside (or within a pixel of) a valid ground-truth box of
 * their image. Decoding the bin softmax of only these saves most of the loss' exponentials.
 */
function anchorsInGt(ctx: AssignContext, batch: number): Uint8Array {
  const { anchors, targets: { nMax, gtBboxes, maskGt } } = ctx;
  const a = anchors.count, need = new Uint8Array(batch * a);
  for (let b = 0; b < batch; b++) {
    for (let g = 0; g < nMax; g++) {
      if (!(maskGt[b * nMax + g] > 0)) continue;
      const o = 4 * (b * nMax + g);
      for (let i = 0; i < a; i++) {
        const s = anchors.strides[i], x = anchors.points[2 * i] * s, y = anchors.points[2 * i + 1] * s;
        if (
          x > gtBboxes[o] - 1 && y > gtBboxes[o + 1] - 1 && x < gtBboxes[o + 2] + 1 && y < gtBboxes[o + 3] + 1
        ) {
          need[b * a + i] = 1;
        }
      }
    }
  }
  return need;
}

function decode(
  levels: readonly Float32Array[],
  h: PlainHeads,
  points: Float32Array,
  need: Uint8Array,
  nc: number,
  regMax: number,
): Decoded {
  const { batch: b, shapes } = h;
  const c = 4 * regMax + nc;
  const a = shapes.reduce((n, [hh, ww]) => n + hh * ww, 0);
  const out: Decoded = {
    boxes: new Float32Array(b * a * 4),
    probs: new Float32Array(b * a * nc),
    softplus: new Float64Array(b * a * nc),
    bins: new Float64Array(b * a * 4 * regMax),
    dist: new Float64Array(b * a * 4),
    level: new Int32Array(a),
    offset: new Int32Array(b * a),
  };
  let at = 0;
  shapes.forEach(([hh, ww], l) => {
    if (levels[l].length !== b * hh * ww * c) {
      throw new RangeError(
        `Cannot compute loss: level ${l} has ${levels[l].length} values, expected ${b}x${hh}x${ww}x${c}`,
      );
    }
    for (let cell = 0; cell < hh * ww; cell++) {
      out.level[at + cell] = l;
      for (let i = 0; i < b; i++) out.offset[i * a + at + cell] = (i * hh * ww + cell) * c;
    }
    at += hh * ww;
  });
  // One native call where the backend has it (the same arithmetic), else the loop.
  const arrays = { batch: b, anchors: a, nc, regMax, levels, points, need, ...out };
  if (decodeLossArrays(arrays)) return out;
  const bins = out.bins;
  for (let i = 0; i < b * a; i++) {
    const v = levels[out.level[i % a]], o = out.offset[i], anc = i % a;
    for (let k = 0; k < nc; k++) {
      const x = v[o + 4 * regMax + k], e = Math.exp(-Math.abs(x));
      out.probs[i * nc + k] = x >= 0 ? 1 / (1 + e) : e / (1 + e);
      out.softplus[i * nc + k] = Math.max(x, 0) + Math.log1p(e);
    }
    if (!need[i]) continue;
    for (let k = 0; k < 4; k++) {
      const src = o + k * regMax, dst = (4 * i + k) * regMax;
      let max = -Infinity, sum = 0, dk = 0;
      for (let j = 0; j < regMax; j++) max = Math.max(max, v[src + j]);
      for (let j = 0; j < regMax; j++) sum += bins[dst + j] = Math.exp(v[src + j] - max);
      for (let j = 0; j < regMax; j++) dk += (bins[dst + j] /= sum) * j;
      out.dist[4 * i + k] = dk;
      out.boxes[4 * i + k] = k < 2 ? points[2 * anc + k] - dk : points[2 * anc + k - 2] + dk;
    }
  }
  return out;
}

/** CIoU of box `a` (prediction) and `b` (target) with alpha constant, and d CIoU / d a (x1, y1, x2, y2). */
export function ciouWithGrad(a: ArrayLike<number>, b: ArrayLike<number>): { ciou: number; grad: number[] } {
  const [ax1, ay1, ax2, ay2] = [a[0], a[1], a[2], a[3]], [bx1, by1, bx2, by2] = [b[0], b[1], b[2], b[3]];
  const w1 = ax2 - ax1, h1 = ay2 - ay1 + EPS, w2 = bx2 - bx1, h2 = by2 - by1 + EPS;
  // Subgradients as tfjs' maximum / minimum: the first argument on ties; max(x, 0) passes at x == 0.
  const iwr = Math.min(ax2, bx2) - Math.max(ax1, bx1), ihr = Math.min(ay2, by2) - Math.max(ay1, by1);
  const iw = Math.max(iwr, 0), ih = Math.max(ihr, 0);
  const dIw = iwr >= 0 ? [-(ax1 >= bx1 ? 1 : 0), 0, ax2 <= bx2 ? 1 : 0, 0] : [0, 0, 0, 0];
  const dIh = ihr >= 0 ? [0, -(ay1 >= by1 ? 1 : 0), 0, ay2 <= by2 ? 1 : 0] : [0, 0, 0, 0];
  const inter = iw * ih, union = w1 * h1 + w2 * h2 - inter + EPS, iou = inter / union;
  const cw = Math.max(ax2, bx2) - Math.min(ax1, bx1), ch = Math.max(ay2, by2) - Math.min(ay1, by1);
  const dCw = [-(ax1 <= bx1 ? 1 : 0), 0, ax2 >= bx2 ? 1 : 0, 0];
  const dCh = [0, -(ay1 <= by1 ? 1 : 0), 0, ay2 >= by2 ? 1 : 0];
  const c2 = cw * cw + ch * ch + EPS;
  const dx = bx1 + bx2 - ax1 - ax2, dy = by1 + by2 - ay1 - ay2, rho2 = (dx * dx + dy * dy) / 4;
  const dAtan = Math.atan(w2 / h2) - Math.atan(w1 / h1), v = K * dAtan * dAtan;
  const alpha = v / (v - iou + (1 + EPS));
  const dArea1 = [-h1, -w1, h1, w1],
    dW1 = [-1, 0, 1, 0],
    dH1 = [0, -1, 0, 1],
    dRho = [-dx / 2, -dy / 2, -dx / 2, -dy / 2];
  const grad = [0, 1, 2, 3].map((q) => {
    const dInter = ih * dIw[q] + iw * dIh[q];
    const dIou = (dInter - iou * (dArea1[q] - dInter)) / union;
    const dDist = dRho[q] / c2 - rho2 * (2 * cw * dCw[q] + 2 * ch * dCh[q]) / (c2 * c2);
    const dV = -2 * K * dAtan * (h1 * dW1[q] - w1 * dH1[q]) / (w1 * w1 + h1 * h1);
    return dIou - dDist - alpha * dV;
  });
  return { ciou: iou - (rho2 / c2 + v * alpha), grad };
}

/**
 * One branch's terms before gains and its gradient added into `grads` with `scale` per item
 * (batch x branch weight x gain). Mirrors branch_loss.ts (`branchLoss`) value for value.
 */
function branchTerms(
  dec: Decoded,
  levels: readonly Float32Array[],
  asg: Assignment,
  grads: Float32Array[],
  scale: { box: number; cls: number; dfl: number },
  o: { points: Float32Array; strides: Float32Array; a: number; nc: number; regMax: number },
): [number, number, number] {
  const { a, nc, regMax, points, strides } = o;
  const n = dec.offset.length;
  const { weight, scoreSum: S } = anchorWeights(asg.targetScores, nc);
  let cls = 0, box = 0, dfl = 0;
  const f = Math.fround;
  for (let i = 0; i < n; i++) {
    const l = dec.level[i % a], v = levels[l], g = grads[l], o0 = dec.offset[i] + 4 * regMax;
    for (let c = 0; c < nc; c++) {
      const x = v[o0 + c], t = asg.targetScores[i * nc + c];
      cls += dec.softplus[i * nc + c] - x * t;
      g[o0 + c] += scale.cls * (dec.probs[i * nc + c] - t) / S;
    }
    const w = weight[i];
    if (!asg.fgMask[i] || w === 0) continue;
    const anc = i % a, stride = strides[anc], [px, py] = [points[2 * anc], points[2 * anc + 1]];
    const tb = [0, 1, 2, 3].map((k) => f(asg.targetBboxes[4 * i + k] / stride));
    const pb = dec.boxes, q = 4 * i;
    const { ciou, grad } = ciouWithGrad([pb[q], pb[q + 1], pb[q + 2], pb[q + 3]], tb);
    box += w * (1 - ciou);
    // d loss / d side distance: x1 = ax - d0, y1 = ay - d1, x2 = ax + d2, y2 = ay + d3.
    const dSide = [grad[0], grad[1], -grad[2], -grad[3]].map((gq) => scale.box * w * gq / S);
    const dists = [f(px - tb[0]), f(py - tb[1]), f(tb[2] - px), f(tb[3] - py)];
    for (let k = 0; k < 4; k++) {
      const p = dec.bins, pb0 = (4 * i + k) * regMax, dk = dec.dist[4 * i + k];
      const { left, wl } = dflTarget(dists[k], regMax);
      const bl = wl * w / 4, br = f(1 - wl) * w / 4;
      dfl -= bl * Math.log(p[pb0 + left]) + br * Math.log(p[pb0 + left + 1]);
      const ob = dec.offset[i] + k * regMax;
      for (let j = 0; j < regMax; j++) {
        const target = j === left ? bl : j === left + 1 ? br : 0;
        g[ob + j] += dSide[k] * p[pb0 + j] * (j - dk) - scale.dfl * (target - p[pb0 + j] * (bl + br)) / S;
      }
    }
  }
  return [box / S, cls / S, dfl / S];
}

/**
 * The YOLOv9 loss of raw head outputs given as arrays, with its gradient: {@link computeLoss}'s
 * `total` and `items` (within float32 rounding) and what `tf.valueAndGrads` of `total` gives.
 *
 * @example
 * ```ts
 * const r = computeLossPlain({ batch: 1, shapes: [[8, 8], [4, 4], [2, 2]], data: [levels] }, rows, { nc: 80, strides: [8, 16, 32] });
 * r.total; r.grads[0][0]; // d total / d level-0 output
 * ```
 */
export function computeLossPlain(
  heads: PlainHeads,
  targets: ArrayLike<number>,
  opts: LossOptions,
): PlainLossResult {
  const { batch, shapes } = heads;
  const regMax = opts.regMax ?? REG_MAX, nc = opts.nc;
  const weights = opts.branchWeights ?? defaultBranchWeights(heads.data.length);
  if (weights.length !== heads.data.length) {
    throw new RangeError(
      `Cannot compute loss: expected ${heads.data.length} branch weights, got ${weights.length}`,
    );
  }
  const gains = { ...DEFAULT_GAINS, ...opts.gains };
  const anchors = makeAnchors(shapes, opts.strides);
  const imgSize = opts.imgSize ?? [shapes[0][0] * opts.strides[0], shapes[0][1] * opts.strides[0]] as const;
  const ctx = {
    anchors,
    targets: preprocessTargets(targets, { batch, imgSize }),
    nc,
    assigner: opts.assigner,
  };
  const need = anchorsInGt(ctx, batch);
  // Assignments given from outside: their foreground needs its bins whatever the boxes.
  for (const asg of opts.assignments ?? []) asg.fgMask.forEach((m, i) => need[i] ||= m);
  const decoded = heads.data.map((levels) => decode(levels, heads, anchors.points, need, nc, regMax));
  const assignments = opts.assignments ??
    branchAssignments(
      decoded,
      (d) => assignValues([batch, anchors.count], d.boxes, d.probs, ctx),
      !!opts.lhg,
    );
  const grads = heads.data.map((levels) => levels.map((l) => new Float32Array(l.length)));
  const items: [number, number, number] = [0, 0, 0];
  decoded.forEach((dec, b) => {
    const s = batch * weights[b];
    const terms = branchTerms(dec, heads.data[b], assignments[b], grads[b], {
      box: s * gains.box,
      cls: s * gains.cls,
      dfl: s * gains.dfl,
    }, { points: anchors.points, strides: anchors.strides, a: anchors.count, nc, regMax });
    [gains.box, gains.cls, gains.dfl].forEach((g, k) => items[k] += g * weights[b] * terms[k]);
  });
  return { total: batch * (items[0] + items[1] + items[2]), items, grads };
}
