/**
 * How PGI's auxiliary branches enter the training objective (paper Sec. 4.1; utils/loss_tal_dual.py,
 * loss_tal_triple.py): each branch's loss is weighted (0.25 per auxiliary branch, 1 for the main one),
 * and with lead-head guidance (`ComputeLossLH`, paper Table 4 "LHG-ICN") every branch is trained with
 * the main branch's label assignment instead of its own.
 * @module
 */

/**
 * Branch weights by number of branches: gelan [1], yolov9 dual [0.25 aux, 1 main], triple [0.25, 0.25, 1].
 *
 * @example
 * ```ts
 * defaultBranchWeights(2); // [0.25, 1]
 * ```
 */
export function defaultBranchWeights(branches: number): number[] {
  if (branches === 1) return [1];
  return [...Array(branches - 1).fill(0.25), 1];
}

/**
 * The label assignment each branch is trained with: its own (`assign(branch)`), or with lead-head
 * guidance (`lhg`) the main (last) branch's for every branch, computed once.
 */
export function branchAssignments<P, A>(branches: readonly P[], assign: (pred: P) => A, lhg: boolean): A[] {
  if (!lhg) return branches.map(assign);
  const lead = assign(branches[branches.length - 1]);
  return branches.map(() => lead);
}
