/**
 * Programmable Gradient Information (paper Sec. 4.1), all in one place: the CBLinear/CBFuse routing
 * of the auxiliary reversible branch and PGI's rows of the module table (with the multi-branch heads),
 * the auxiliary-branch builders as config edits and their per-size layouts (Tables 4 and 5), the
 * branch weights and lead-head guidance of the training objective, and the branch's removal for
 * inference.
 * @module
 */
export * from "./cb_linear.ts";
export * from "./modules.ts";
export * from "./aux_branches.ts";
export * from "./layouts.ts";
export * from "./branch_weights.ts";
export * from "./strip_aux.ts";
