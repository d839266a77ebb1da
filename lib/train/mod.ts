/**
 * Training as in `train_dual.py` / `train.py` (reference spec §5): hyperparameters with the official keys,
 * the defaults table, the pure training step and epoch, checkpoints with resume, the console lines, the run
 * folder's files and the whole run (`trainRun`). The optimizer is in `lib/optim`, validation in `lib/infer`.
 * @module
 */
export * from "./defaults.ts";
export * from "./types.ts";
export * from "./hyp.ts";
export * from "./train_step.ts";
export * from "./compiled_step.ts";
export * from "./autoanchor.ts";
export * from "./checkpoint.ts";
export * from "./resume_options.ts";
export * from "./pretrained.ts";
export * from "./progress.ts";
export * from "./run_files.ts";
export * from "./run_report.ts";
export * from "./train_epoch.ts";
export * from "./train_run.ts";
