/**
 * Inference as the official scripts do it: validation of a model on a dataset split (`val_dual.py`:
 * per-class P, R, mAP50, mAP50-95, confusion matrix, COCO predictions) and detection on images
 * (`detect_dual.py`: letterbox, NMS, boxes in original pixels, YOLO txt lines).
 * @module
 */
export * from "./validate.ts";
export * from "./detect.ts";
export * from "./coco_export.ts";
export * from "./draw_detections.ts";
