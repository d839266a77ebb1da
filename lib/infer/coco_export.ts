/**
 * COCO-format ground truth and predictions of a YOLO dataset split, built in memory (val.py
 * `save_one_json`: `image_id = int(stem)` when the file stem is numeric, else the stem; `category_id` =
 * class index; `bbox` = [x_min, y_min, w, h] in original pixels rounded to 3 decimals, `score` to 5).
 * @module
 */

/** One prediction in the COCO results format. */
export interface CocoPrediction {
  image_id: number | string;
  category_id: number;
  bbox: [number, number, number, number];
  score: number;
}

/** One image of the ground truth: id, size and YOLO labels [class, cx, cy, w, h] normalised. */
export interface GtImage {
  id: number | string;
  width: number;
  height: number;
  labels: ArrayLike<number>;
}

/** val.py's image id of a file path. */
export function cocoImageId(path: string): number | string {
  const stem = path.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, "");
  return /^\d+$/.test(stem) ? Number(stem) : stem;
}

/** Image ids for a list of paths; falls back to indices when stems collide or mix numbers and names. */
export function cocoImageIds(paths: readonly string[]): (number | string)[] {
  const ids = paths.map(cocoImageId);
  const unique = new Set(ids).size === ids.length;
  const oneType = ids.every((x) => typeof x === typeof ids[0]);
  return unique && oneType ? ids : paths.map((_, i) => i);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** COCO predictions of one image from NMS rows [x1, y1, x2, y2, conf, cls] in original pixels. */
export function cocoPredictions(imageId: number | string, rows: ArrayLike<number>): CocoPrediction[] {
  const out: CocoPrediction[] = [];
  for (let i = 0; i + 6 <= rows.length; i += 6) {
    const [x1, y1, x2, y2, conf, cls] = [rows[i], rows[i + 1], rows[i + 2], rows[i + 3], rows[i + 4], rows[i + 5]];
    out.push({
      image_id: imageId,
      category_id: Math.round(cls),
      bbox: [round(x1, 3), round(y1, 3), round(x2 - x1, 3), round(y2 - y1, 3)],
      score: round(conf, 5),
    });
  }
  return out;
}

/** A COCO instances mapping (images, categories, annotations with area = w h, iscrowd 0, ids from 1). */
export function cocoGroundTruth(images: readonly GtImage[], names: readonly string[]): Record<string, unknown> {
  const annotations: Record<string, unknown>[] = [];
  for (const im of images) {
    for (let i = 0; i + 5 <= im.labels.length; i += 5) {
      const w = im.labels[i + 3] * im.width, h = im.labels[i + 4] * im.height;
      const x = im.labels[i + 1] * im.width - w / 2, y = im.labels[i + 2] * im.height - h / 2;
      annotations.push({
        id: annotations.length + 1,
        image_id: im.id,
        category_id: Math.round(im.labels[i]),
        bbox: [x, y, w, h],
        area: w * h,
        iscrowd: 0,
      });
    }
  }
  return {
    images: images.map((im) => ({ id: im.id, width: im.width, height: im.height })),
    categories: names.map((name, id) => ({ id, name })),
    annotations,
  };
}
