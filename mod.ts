/**
 * yolov9-ts: YOLOv9 (GELAN + PGI) on TensorFlow.js for Deno, numerically equal to the official
 * PyTorch implementation. The public surface, by concept; each folder of `lib/` has its own
 * `mod.ts` with the rest of its pieces.
 *
 * @example
 * ```ts
 * import { buildModelSpec, initBackend, loadModelConfig, summarizeModel } from "./mod.ts";
 * await initBackend("cpu", { quiet: true });
 * const spec = buildModelSpec(await loadModelConfig("gelan-c"));
 * console.log(summarizeModel(spec).params); // 25498752
 * ```
 * @module
 */

// Backend selection (native oneDNN, tfjs-node, webgpu, wasm, cpu) and awaited reads.
export {
  BACKEND_ORDER,
  type BackendName,
  currentBackend,
  initBackend,
  webgpuAdapter,
} from "./lib/backend/backend.ts";
export { leanTape, setLeanTape } from "./lib/backend/lean_tape.ts";
export { fetchValues, type Precision, syncReads } from "./lib/backend/port.ts";

// Parameters as data: weight trees named like the official state_dict.
export { flattenTree, isTree, mapTree, sub, type Tree, unflattenTree } from "./lib/nn/tree.ts";
export { TensorOps } from "./lib/nn/tensor_ops.ts";

// GELAN (paper Sec. 4.2) and the decoupled head.
export { GELAN_BLOCKS, GELAN_DEFAULTS, type GelanBlock } from "./lib/gelan/rep_ncsp_elan4.ts";
export { makeAnchors } from "./lib/head/anchors.ts";

// The model graph as data and the YOLOv9 family.
export {
  configToDict,
  type Cost,
  fuseWeights,
  initWeights,
  type LayerSpec,
  type ModelConfig,
  modelShapes,
  type ModelSpec,
  type ModuleDef,
  type ModuleTable,
  parseModel,
  parseModelConfig,
  scaleConfig,
  stateDictFromWeights,
  summarizeLayers,
  summarizeModel,
  weightsFromStateDict,
} from "./lib/graph/mod.ts";
export {
  buildModelSpec,
  forwardModel,
  type LoadedModel,
  loadModel,
  loadModelConfig,
  MODULES,
  predict,
  saveModel,
  SHIPPED_CONFIGS,
} from "./lib/models/mod.ts";

// Programmable Gradient Information (paper Sec. 4.1).
export {
  auxNeckEdit,
  defaultBranchWeights,
  dsEdit,
  icnEdit,
  PGI_MODULES,
  stripAux,
  stripAuxModel,
} from "./lib/pgi/mod.ts";

// The training objective, NMS and COCO evaluation.
export {
  assignLoss,
  assignTargets,
  bboxIou,
  computeLoss,
  type LossOptions,
  type LossResult,
} from "./lib/loss/mod.ts";
export {
  apPerClass,
  cocoEvaluate,
  fitness,
  nonMaxSuppression,
  nonMaxSuppressionAsync,
} from "./lib/eval/mod.ts";

// YOLOv7 (anchor-based, Table 6's first row): IDetect with implicit layers and ComputeLossOTA.
export { decodeIDetect, type DecodeIDetectOptions } from "./lib/head/mod.ts";
export { yolov7Loss, type Yolov7LossOptions, type Yolov7LossResult } from "./lib/loss/mod.ts";
export { lossNames, objectiveLoss } from "./lib/models/mod.ts";
export { assignObjective, type ObjectiveAssignment } from "./lib/models/objective.ts";
export { yolov7Assign, yolov7AssignAsync } from "./lib/loss/yolov7_ota.ts";
export { isAnchorBased } from "./lib/graph/spec.ts";
export { HYP_SCRATCH_P5 } from "./lib/data/hyp.ts";

// Weights files: safetensors and PyTorch checkpoints read safely.
export { loadWeightsFile, readSafetensors, readTorchCheckpoint, writeSafetensors } from "./lib/io/mod.ts";

// Data: YOLO datasets, the augmenting loader, the embedded MNIST-Det.
export {
  type Batch,
  createLoader,
  type Dataset,
  decodeImage,
  generateMnistDet,
  loadDataset,
  type RgbImage,
} from "./lib/data/mod.ts";

// Training, the optimizer and inference.
export { readStateDict } from "./lib/graph/mod.ts";
export {
  compiledStepStatus,
  DEFAULT_HYP,
  type EpochRow,
  loadHyp,
  TRAIN_DEFAULTS,
  trainRun,
  type TrainRunOptions,
  type TrainRunResult,
  setCompiledStep,
  trainStep,
  trainStepAsync,
} from "./lib/train/mod.ts";
export {
  initEma,
  initSgd,
  paramGroups,
  sgdStep,
  sgdStepDevice,
  totalNormDevice,
  updateBatchNormStatsDevice,
  updateEma,
  updateEmaDevice,
} from "./lib/optim/mod.ts";
export { detectImage, drawDetections, validate, type ValResult } from "./lib/infer/mod.ts";

// Models leave the project: ONNX, official .pt, safetensors.
export {
  EXPORT_FORMATS,
  type ExportFormat,
  exportModel,
  exportOnnx,
  type ExportOptions,
  inferenceModel,
  torchCheckpointBytes,
} from "./lib/export/mod.ts";

// Pictures: boxes, grids, plots, heatmaps.
export {
  classColor,
  drawBoxes,
  encodePng,
  heatmapImage,
  renderImageGridPng,
  svgToPng,
  tileGrid,
  upscaleNearest,
} from "./lib/viz/mod.ts";

// Information-bottleneck analysis (paper Sec. 3) and Fig. 7's maps.
export {
  buildConvGraph,
  DEPTH_MEASURES,
  depthPlots,
  figureGrid,
  formatDepth,
  gradientPathTable,
  type IbResult,
  type IbRow,
  loadStudyImages,
  measurePlots,
  objectFocus,
  panFeatureMaps,
  panLayers,
  runIbAnalysis,
  type Spread,
  summarizePaths,
} from "./lib/ib/mod.ts";

// Statistics of seeds: summaries, paired verdicts (the ablations), the crossed bootstrap (the IB figures).
export {
  crossedMeanInterval,
  pairedDifference,
  type PairVerdict,
  pairVerdicts,
  summarize,
  tableVerdict,
  tQuantile,
} from "./lib/stats/mod.ts";

// Golden-parity cases against the official PyTorch code.
export { CASE_HANDLERS, CORRUPT_SIDECAR, listCases, runCase } from "./lib/golden/runner.ts";
export type { CaseReport, TensorCheck } from "./lib/golden/types.ts";
