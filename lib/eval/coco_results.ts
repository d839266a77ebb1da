/**
 * pycocotools `COCO.loadRes` for box results (pycocotools/coco.py): validation, ids 1..n, area = w*h.
 * @module
 */
import type { CocoGroundTruth, CocoResults, Detection } from "./coco_data.ts";
import {
  CocoFormatError,
  counted,
  describe,
  isRecord,
  needBox,
  needImageId,
  needNumber,
  readJson,
} from "./coco_validate.ts";

/**
 * pycocotools `COCO.loadRes` for box results: a list of {image_id, category_id, bbox [x,y,w,h], score};
 * ids become 1..n in file order and area = w*h. Image ids must exist in the ground truth (pycocotools asserts);
 * detections of unknown categories are kept but never evaluated (counted warning); zero-size boxes are
 * evaluated as pycocotools does (IoU 0) with a counted warning; negative sizes are an error.
 */
export function loadCocoResults(gt: CocoGroundTruth, json: unknown, file = "<results>"): CocoResults {
  if (!Array.isArray(json)) {
    throw new CocoFormatError(`${file}: expected a JSON list of detections, got ${describe(json)}`);
  }
  const images = new Set(gt.imageIds);
  const cats = new Set(gt.categoryIds);
  const detections: Detection[] = [];
  let unknownCat = 0, empty = 0;
  json.forEach((e, i) => {
    if (!isRecord(e)) throw new CocoFormatError(`${file}: [${i}]: expected an object, got ${describe(e)}`);
    const where = `${file}: detection [${i}]`;
    const image_id = needImageId(e, "image_id", where);
    if (!images.has(image_id)) {
      throw new CocoFormatError(
        `${where}: image_id ${describe(image_id)} is not an image of the ground truth ${gt.file}`,
      );
    }
    const category_id = needNumber(e, "category_id", where);
    const bbox = needBox(e, where, true);
    const score = needNumber(e, "score", where);
    if (!cats.has(category_id)) unknownCat++;
    if (bbox[2] === 0 || bbox[3] === 0) empty++;
    detections.push({ id: i + 1, image_id, category_id, bbox, score, area: bbox[2] * bbox[3] });
  });
  const warnings = [
    ...counted(
      unknownCat,
      file,
      `detections have category ids not in the categories of ${gt.file} (not evaluated, as in pycocotools)`,
    ),
    ...counted(empty, file, "detections have a zero-size box (evaluated as pycocotools does: IoU 0)"),
  ];
  return { file, detections, warnings };
}

/** Read and validate a results file against its ground truth (loadRes). */
export async function readCocoResults(gt: CocoGroundTruth, path: string): Promise<CocoResults> {
  return loadCocoResults(gt, await readJson(path), path);
}
