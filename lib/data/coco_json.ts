/**
 * COCO instances JSON (`images`, `annotations` with `bbox: [x, y, w, h]` pixels, `categories`) converted to
 * YOLO labels in memory, as Ultralytics' `convert_coco` does for boxes: categories sorted by id map to
 * classes 0..n-1 (for COCO 2017 this is the official 91 -> 80 map), crowd annotations skipped, boxes
 * clipped to the image and normalised to `[class, cx, cy, w, h]`.
 * @module
 */
import type { DataWarning } from "./labels.ts";

/** One image of a COCO split with its converted labels. */
export interface CocoImageLabels {
  id: number;
  fileName: string;
  width: number;
  height: number;
  labels: Float32Array;
}

/** A converted COCO split. */
export interface CocoSplit {
  /** Category names in class order (categories sorted by id). */
  names: string[];
  /** COCO category id per class. */
  categoryIds: number[];
  images: CocoImageLabels[];
  warnings: DataWarning[];
}

function fail(file: string, what: string): never {
  throw new TypeError(`Cannot read COCO annotations ${file}: ${what}`);
}

/** Parses the text of a COCO instances file (`file` names it in messages). */
export function parseCocoJson(text: string, file: string): CocoSplit {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    fail(file, `invalid JSON: ${(e as Error).message}`);
  }
  const images = doc.images, anns = doc.annotations ?? [], cats = doc.categories;
  if (!Array.isArray(images)) fail(file, "expected an `images` list");
  if (!Array.isArray(anns)) fail(file, "expected `annotations` as a list");
  if (!Array.isArray(cats)) fail(file, "expected a `categories` list");
  const sorted = [...cats].sort((a, b) => a.id - b.id);
  const classOf = new Map<number, number>(sorted.map((c, i) => [c.id, i]));
  const warnings: DataWarning[] = [];
  const rows = new Map<number, number[]>();
  const info = new Map<number, { width: number; height: number }>();
  for (const im of images) {
    if (typeof im?.file_name !== "string" || !(im.width > 0) || !(im.height > 0)) {
      fail(file, `expected images with file_name, width, height; got ${JSON.stringify(im).slice(0, 120)}`);
    }
    info.set(im.id, { width: im.width, height: im.height });
    rows.set(im.id, []);
  }
  const seen = new Set<string>();
  for (const a of anns) {
    const where = `${file}: annotation ${a?.id ?? "?"}`;
    const size = info.get(a?.image_id);
    if (!size) {
      warnings.push({
        kind: "annotation",
        file,
        message: `${where}: unknown image_id ${a?.image_id}, skipped`,
      });
      continue;
    }
    if (a.iscrowd) continue;
    const cls = classOf.get(a.category_id);
    if (cls === undefined) {
      warnings.push({
        kind: "class",
        file,
        message: `${where}: unknown category_id ${a.category_id}, skipped`,
      });
      continue;
    }
    const b = a.bbox;
    if (!Array.isArray(b) || b.length !== 4 || !b.every((v: unknown) => Number.isFinite(v))) {
      warnings.push({
        kind: "nonfinite",
        file,
        message: `${where}: expected bbox [x, y, w, h] numbers, got ${JSON.stringify(b)}`,
      });
      continue;
    }
    const x1 = Math.max(0, b[0]), y1 = Math.max(0, b[1]);
    const x2 = Math.min(size.width, b[0] + b[2]), y2 = Math.min(size.height, b[1] + b[3]);
    if (!(x2 > x1 && y2 > y1)) {
      warnings.push({
        kind: "size",
        file,
        message: `${where}: zero-size box ${JSON.stringify(b)} inside the image, skipped`,
      });
      continue;
    }
    const row = [
      cls,
      (x1 + x2) / 2 / size.width,
      (y1 + y2) / 2 / size.height,
      (x2 - x1) / size.width,
      (y2 - y1) / size.height,
    ];
    const key = `${a.image_id} ${Float32Array.from(row).join(" ")}`;
    if (seen.has(key)) {
      warnings.push({ kind: "duplicate", file, message: `${where}: duplicate box, removed` });
      continue;
    }
    seen.add(key);
    rows.get(a.image_id)!.push(...row);
  }
  return {
    names: sorted.map((c) => String(c.name)),
    categoryIds: sorted.map((c) => c.id),
    images: images.map((im) => ({
      id: im.id,
      fileName: im.file_name,
      width: im.width,
      height: im.height,
      labels: new Float32Array(rows.get(im.id)!),
    })),
    warnings,
  };
}
