/**
 * Information-bottleneck analysis (paper Sec. 3, Fig. 2 / Fig. 6): randomly initialised PlainNet,
 * ResNet, CSPNet and GELAN stacks, their channel-summed feature maps, three measures per depth
 * (reversibility by a ridge decoder, mutual information by KSG, gradient consistency across seeds)
 * and the gradient paths of any model graph (CSPNet / ELAN / GELAN's design principle).
 * @module
 */
export * from "./linalg.ts";
export * from "./ridge.ts";
export * from "./tf_linalg.ts";
export * from "./mutual_info.ts";
export * from "./samples.ts";
export * from "./reversibility.ts";
export * from "./information.ts";
export * from "./information_depth.ts";
export * from "./depth_study.ts";
export * from "./conv_graph.ts";
export * from "./gradient_paths.ts";
export * from "./families.ts";
export * from "./features.ts";
export * from "./gradient_signal.ts";
export * from "./analysis.ts";
export * from "./report.ts";
export * from "./images.ts";
export * from "./pan_maps.ts";
