/**
 * COCO ground-truth and result files for box evaluation, validated, with pycocotools' semantics
 * (pycocotools/coco.py `COCO.__init__`/`createIndex` and `loadRes`): result ids are 1..n in file order, result
 * area = w*h, results are never crowd. Bad input fails with an error naming the file and the entry; what
 * pycocotools silently skips (annotations of unknown images or categories, detections of unknown categories)
 * is dropped the same way and reported as a counted warning.
 * @module
 */

import {
  CocoFormatError,
  counted,
  describe,
  entryName,
  isRecord,
  needArray,
  needBox,
  needImageId,
  needNumber,
  readJson,
} from "./coco_validate.ts";

/** An image id: COCO uses integers; YOLO result files may use file stems. */
export type ImageId = number | string;

/** A validated ground-truth box annotation. */
export interface GtAnnotation {
  id: number;
  image_id: ImageId;
  category_id: number;
  /** [x, y, w, h] in pixels. */
  bbox: [number, number, number, number];
  area: number;
  iscrowd: boolean;
}

/** A validated detection after loadRes (id and area assigned). */
export interface Detection {
  id: number;
  image_id: ImageId;
  category_id: number;
  bbox: [number, number, number, number];
  score: number;
  area: number;
}

/** A validated ground-truth file. */
export interface CocoGroundTruth {
  file: string;
  /** Image ids in file order (unique). */
  imageIds: ImageId[];
  /** Category ids in file order (unique). */
  categoryIds: number[];
  categoryNames: Map<number, string>;
  annotations: GtAnnotation[];
  warnings: string[];
}

/** Validated detections of a results file. */
export interface CocoResults {
  file: string;
  detections: Detection[];
  warnings: string[];
}

export { CocoFormatError } from "./coco_validate.ts";

/**
 * Validate a parsed ground-truth JSON (instances file: images, categories, annotations with bbox/area/iscrowd).
 * A zero-width or zero-height box is an error unless `opts.allowEmptyBoxes` (then a counted warning; such a box
 * can never be matched, as in pycocotools).
 */
export function parseCocoGroundTruth(
  json: unknown,
  file = "<ground truth>",
  opts: { allowEmptyBoxes?: boolean } = {},
): CocoGroundTruth {
  if (!isRecord(json)) {
    throw new CocoFormatError(
      `${file}: expected a JSON object with images, annotations, categories; got ${describe(json)}`,
    );
  }
  const images = needArray(json, "images", file);
  const categories = needArray(json, "categories", file);
  const anns = needArray(json, "annotations", file);
  const imageIds: ImageId[] = [];
  const imageSet = new Set<ImageId>();
  images.forEach((e, i) => {
    const where = entryName(file, "images", i, e);
    const id = needImageId(e, "id", where);
    if (imageSet.has(id)) throw new CocoFormatError(`${where}: duplicate image id ${describe(id)}`);
    if (imageIds.length > 0 && typeof imageIds[0] !== typeof id) {
      throw new CocoFormatError(
        `${where}: image ids mix numbers and strings (${describe(imageIds[0])} and ${describe(id)})`,
      );
    }
    imageSet.add(id);
    imageIds.push(id);
  });
  const categoryIds: number[] = [];
  const categoryNames = new Map<number, string>();
  categories.forEach((e, i) => {
    const where = entryName(file, "categories", i, e);
    const id = needNumber(e, "id", where);
    if (categoryNames.has(id)) throw new CocoFormatError(`${where}: duplicate category id ${id}`);
    categoryNames.set(id, typeof e.name === "string" ? e.name : String(id));
    categoryIds.push(id);
  });
  const annotations: GtAnnotation[] = [];
  const annIds = new Set<number>();
  let unknownImage = 0, unknownCat = 0, zeroId = 0, empty = 0;
  anns.forEach((e, i) => {
    const where = entryName(file, "annotations", i, e);
    const id = needNumber(e, "id", where);
    if (annIds.has(id)) throw new CocoFormatError(`${where}: duplicate annotation id ${id}`);
    annIds.add(id);
    const image_id = needImageId(e, "image_id", where);
    const category_id = needNumber(e, "category_id", where);
    const bbox = needBox(e, where, opts.allowEmptyBoxes ?? false);
    if (bbox[2] === 0 || bbox[3] === 0) empty++;
    const area = needNumber(e, "area", where);
    if (area < 0) throw new CocoFormatError(`${where}: expected "area" >= 0, got ${area}`);
    const c = e.iscrowd;
    if (!(c === 0 || c === 1 || c === true || c === false)) {
      throw new CocoFormatError(
        `${where}: expected "iscrowd" 0 or 1, got ${
          "iscrowd" in e ? describe(c) : "nothing (field missing)"
        }`,
      );
    }
    if (!imageSet.has(image_id)) unknownImage++;
    if (!categoryNames.has(category_id)) unknownCat++;
    if (id === 0) zeroId++;
    annotations.push({ id, image_id, category_id, bbox, area, iscrowd: c === 1 || c === true });
  });
  const warnings = [
    ...counted(
      unknownImage,
      file,
      'annotations refer to image ids not in "images" (not evaluated, as in pycocotools)',
    ),
    ...counted(
      unknownCat,
      file,
      'annotations refer to category ids not in "categories" (not evaluated, as in pycocotools)',
    ),
    ...counted(zeroId, file, "annotation has id 0, which pycocotools counts as never matched (reproduced)"),
    ...counted(empty, file, "annotations have a zero-size box (kept; they can never be matched)"),
  ];
  return { file, imageIds, categoryIds, categoryNames, annotations, warnings };
}

/** Read and validate a ground-truth instances file. */
export async function readCocoGroundTruth(
  path: string,
  opts: { allowEmptyBoxes?: boolean } = {},
): Promise<CocoGroundTruth> {
  return parseCocoGroundTruth(await readJson(path), path, opts);
}
