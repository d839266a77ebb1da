/**
 * Ablations of the paper as data and one runner for all of them: variant configs built by edits of the
 * official GELAN configs, counts against the paper's columns, CPU-scale presets, a resumable run plan,
 * statistics with the tie rule, the reports (`deno task ablate`, experiments/), and the cluster side:
 * plan.json, Slurm job arrays, Kubernetes Indexed Jobs, per-run locks, collection, GPU-hours.
 * @module
 */
export * from "./spec.ts";
export * from "../graph/config_rows.ts";
export * from "./edits.ts";
export * from "./variants.ts";
export * from "./presets.ts";
export * from "./plan.ts";
export * from "./runner.ts";
export * from "./results.ts";
export * from "./report.ts";
export * from "./csv.ts";
export * from "./session_report.ts";
export * from "./plot.ts";
export * from "./coco_stats.ts";
export * from "./focus.ts";
export * from "./cluster_plan.ts";
export * from "./emit_slurm.ts";
export * from "./emit_k8s.ts";
export * from "./lock.ts";
export * from "./run_index.ts";
export * from "./collect.ts";
export * from "./gpu_cost.ts";
export * from "./figure_page.ts";
