/**
 * Statistics the experiments report with: mean / spread / interval of seeds, paired comparisons and
 * ordering verdicts against the paper's ranks, and the crossed bootstrap over seeds and images.
 * @module
 */
export * from "./stats.ts";
export * from "./bootstrap.ts";
