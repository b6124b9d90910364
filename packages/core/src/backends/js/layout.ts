/**
 * Shape and stride helpers shared by the js kernels. Every kernel that walks
 * more than one buffer in lock-step (binary, where, strided, reduce) goes
 * through `planRows` + `forEachRow`, so the index arithmetic lives in one place.
 */

import type { RowPlan } from '../../shape.js';

export { broadcastStrides, contiguousStrides, planRows, type RowPlan, sizeOf } from '../../shape.js';

/** Stride of operand k along the innermost dim of the plan (0 for a scalar plan). */
export function innerStride(plan: RowPlan, k: number): number {
  const r = plan.shape.length;
  return r === 0 ? 0 : plan.strides[k][r - 1];
}

/** Length of the innermost row (1 for a scalar plan). */
export function rowLength(plan: RowPlan): number {
  const r = plan.shape.length;
  return r === 0 ? 1 : plan.shape[r - 1];
}

/**
 * Calls `row(offsets, len)` for every innermost row of the plan, where
 * offsets[k] is operand k's index of the row's first element. `offsets` is
 * reused between calls; callers must not keep it.
 */
export function forEachRow(plan: RowPlan, bases: readonly number[], row: (offsets: number[], len: number) => void): void {
  if (plan.size === 0) return;
  const rank = plan.shape.length;
  const nOps = bases.length;
  const offsets = bases.slice();
  if (rank <= 1) {
    row(offsets, rowLength(plan));
    return;
  }
  const outer = rank - 1;
  const counter = new Array<number>(outer).fill(0);
  const len = plan.shape[outer];
  for (;;) {
    row(offsets, len);
    // Odometer over the outer dims: bump the last one, carrying leftwards.
    let d = outer - 1;
    for (; d >= 0; d--) {
      counter[d]++;
      for (let k = 0; k < nOps; k++) offsets[k] += plan.strides[k][d];
      if (counter[d] < plan.shape[d]) break;
      for (let k = 0; k < nOps; k++) offsets[k] -= plan.strides[k][d] * plan.shape[d];
      counter[d] = 0;
    }
    if (d < 0) return;
  }
}
