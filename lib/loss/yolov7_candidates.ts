/**
 * The candidate positives of YOLOv7's loss (`ComputeLossOTA.find_3_positive`, utils/loss.py of
 * WongKinYiu/yolov7): per level, every (target, anchor) pair whose width and height ratios stay within
 * `anchor_t` (max(r, 1 / r) < anchor_t), at the target's cell and at the two neighbouring cells its centre
 * is closest to (offset 0.5 left/up/right/down when the centre lies in that half of its cell and not in
 * the border cell). Plain numbers in float32 steps, as the reference computes them.
 * @module
 */

/**
 * Positives of one level: the candidates (in the reference's order: offset-major, then anchor, then target
 * row) and, with the same layout, the matches the assignment keeps.
 */
export interface LevelCandidates {
  /** Image index of each candidate. */
  b: Int32Array;
  /** Anchor index. */
  a: Int32Array;
  /** Cell row (clamped to the grid). */
  gj: Int32Array;
  /** Cell column (clamped to the grid). */
  gi: Int32Array;
  /** Anchor [w, h] in grid units, 2 per candidate. */
  anchor: Float32Array;
  /** Index of the target row the candidate came from (of a match: the target it is assigned to). */
  row: Int32Array;
}

/** Lists of positives as plain arrays, while they are collected. */
export type PositiveLists = { [K in keyof LevelCandidates]: number[] };

/** Empty {@link PositiveLists}. */
export function positiveLists(): PositiveLists {
  return { b: [], a: [], gj: [], gi: [], anchor: [], row: [] };
}

/** Typed arrays of collected positives. */
export function toLevel(l: PositiveLists): LevelCandidates {
  return {
    b: Int32Array.from(l.b), a: Int32Array.from(l.a), gj: Int32Array.from(l.gj), gi: Int32Array.from(l.gi),
    anchor: Float32Array.from(l.anchor), row: Int32Array.from(l.row),
  };
}

/** One level of the head: grid size and anchors in grid units. */
export interface LevelGeometry {
  h: number;
  w: number;
  /** Anchors [w, h] in grid units (pixels / stride). */
  anchors: [number, number][];
}

const f = Math.fround;

/** Neighbour offsets (x, y) times 0.5: none, left, up, right, down (`off` of the reference). */
const OFFSETS: [number, number][] = [[0, 0], [0.5, 0], [0, 0.5], [-0.5, 0], [0, -0.5]];

/**
 * `find_3_positive` for target rows `[image, class, cx, cy, w, h]` (normalised, n rows flat) on the
 * given levels.
 *
 * @example
 * ```ts
 * const c = findCandidates([0, 0, 0.5, 0.5, 0.2, 0.2], [{ h: 8, w: 8, anchors: [[1.5, 2]] }], 4.0);
 * ```
 */
export function findCandidates(rows: ArrayLike<number>, levels: readonly LevelGeometry[], anchorT: number): LevelCandidates[] {
  const nt = rows.length / 6;
  return levels.map(({ h, w, anchors }) => {
    const out = positiveLists();
    // Matches, anchor-major then target order: t = targets * gain.
    const kept: { t: number; a: number; x: number; y: number }[] = [];
    anchors.forEach(([aw, ah], ai) => {
      for (let t = 0; t < nt; t++) {
        const tw = f(rows[6 * t + 4] * w), th = f(rows[6 * t + 5] * h);
        const rw = f(tw / f(aw)), rh = f(th / f(ah));
        if (Math.max(rw, f(1 / rw), rh, f(1 / rh)) < anchorT) {
          kept.push({ t, a: ai, x: f(rows[6 * t + 2] * w), y: f(rows[6 * t + 3] * h) });
        }
      }
    });
    OFFSETS.forEach(([ox, oy], k) => {
      for (const c of kept) {
        const ix = f(w - c.x), iy = f(h - c.y);
        const use = [true, c.x % 1 < 0.5 && c.x > 1, c.y % 1 < 0.5 && c.y > 1, ix % 1 < 0.5 && ix > 1, iy % 1 < 0.5 && iy > 1][k];
        if (!use) continue;
        out.b.push(rows[6 * c.t]);
        out.a.push(c.a);
        out.gi.push(Math.min(Math.max(Math.trunc(f(c.x - ox)), 0), w - 1));
        out.gj.push(Math.min(Math.max(Math.trunc(f(c.y - oy)), 0), h - 1));
        out.anchor.push(...anchors[c.a]);
        out.row.push(c.t);
      }
    });
    return toLevel(out);
  });
}
