/**
 * The data pipeline: dataset YAML / YOLO labels / COCO json loading with label checks, sharp image I/O,
 * letterbox, the official augmentations (mosaic, copy-paste, random perspective, mixup, HSV, flips) on
 * plain RGB buffers with a seeded generator, the batch loader, and the MNIST-Det default dataset.
 * @module
 */
export * from "./types.ts";
export * from "./rng.ts";
export * from "./image.ts";
export * from "./boxes.ts";
export * from "./resize.ts";
export * from "./letterbox.ts";
export * from "./labels.ts";
export * from "./dataset_yaml.ts";
export * from "./coco_json.ts";
export * from "./image_io.ts";
export * from "./cache.ts";
export * from "./image_files.ts";
export * from "./dataset.ts";
export * from "./hyp.ts";
export * from "./mosaic.ts";
export * from "./affine.ts";
export * from "./copy_paste.ts";
export * from "./mixup.ts";
export * from "./hsv.ts";
export * from "./flip.ts";
export * from "./train_sample.ts";
export * from "./loader.ts";
export * from "./mnist.ts";
export * from "./mnist_det.ts";
export * from "./mnist_det_build.ts";
