/**
 * Post-processing and evaluation on plain arrays: NMS (utils/general.py non_max_suppression + torchvision nms),
 * COCO box evaluation with pycocotools semantics, and the YOLO training-log metrics (utils/metrics.py, val.py).
 * @module
 */
export * from "./box_ops.ts";
export * from "./numpy_compat.ts";
export * from "./torch_sort.ts";
export * from "./numpy_sort.ts";
export * from "./nms.ts";
export * from "./coco_data.ts";
export * from "./coco_results.ts";
export * from "./coco_eval.ts";
export * from "./coco_summary.ts";
export * from "./match.ts";
export * from "./metrics.ts";
export * from "./confusion_matrix.ts";
