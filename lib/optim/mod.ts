/**
 * The optimizer of `train.py` / `train_dual.py` (reference spec §5): SGD parameter groups, Nesterov
 * SGD with gradient clipping, warm-up, LR schedule and accumulation to the nominal batch, ModelEMA and
 * the BatchNorm running statistics, as pure updates of explicit state over the tensors' arrays.
 * @module
 */
export * from "./param_groups.ts";
export * from "./sgd.ts";
export * from "./sgd_device.ts";
export * from "./schedule.ts";
export * from "./ema.ts";
export * from "./bn_update.ts";
export * from "./flat.ts";
