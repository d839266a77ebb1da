/**
 * Training as in `train_dual.py` / `train.py` (reference spec §5): hyperparameters with the official keys,
 * SGD parameter groups, Nesterov SGD with gradient clipping, warm-up and LR schedule, ModelEMA, BatchNorm
 * running statistics, the pure training step, checkpoints with resume, validation (`val_dual.py`), the
 * console lines and the whole run (`trainRun`).
 * @module
 */
export * from "./types.ts";
export * from "./hyp.ts";
export * from "./param_groups.ts";
export * from "./sgd.ts";
export * from "./schedule.ts";
export * from "./ema.ts";
export * from "./bn_update.ts";
export * from "./train_step.ts";
export * from "./checkpoint.ts";
export * from "./resume_options.ts";
export * from "./pretrained.ts";
export * from "./progress.ts";
export * from "./coco_export.ts";
export * from "./validate.ts";
export * from "./detect.ts";
export * from "./run_files.ts";
export * from "./run_report.ts";
export * from "./train_epoch.ts";
export * from "./train_run.ts";
