/** The optimizers the Train tab offers (from @mge/optimizer), behind one small interface. */
import type { Parameter } from '@mge/core';
import { Adam, type Optimizer, SGD } from '@mge/optimizer';

export type OptimizerKind = 'sgd' | 'adam';
export const OPTIMIZER_KINDS: readonly OptimizerKind[] = ['sgd', 'adam'];

export interface Optim {
  lr: number;
  step(): void;
  clearGrad(): void;
}

/** Exposes the single parameter group's lr as a property, so the UI can change it between steps. */
class Wrapped implements Optim {
  constructor(private readonly opt: Optimizer) {}
  get lr(): number {
    return this.opt.paramGroups[0].lr;
  }
  set lr(v: number) {
    for (const g of this.opt.paramGroups) g.lr = v;
  }
  step(): void {
    this.opt.step();
  }
  clearGrad(): void {
    this.opt.clearGrad();
  }
}

export function makeOptimizer(kind: OptimizerKind, params: Iterable<Parameter>, lr: number): Optim {
  if (!(typeof lr === 'number' && lr > 0 && Number.isFinite(lr)))
    throw new RangeError(`makeOptimizer: lr must be a positive number, got ${lr}`);
  const list = [...params];
  if (kind === 'sgd') return new Wrapped(new SGD(list, { lr, momentum: 0.9 }));
  if (kind === 'adam') return new Wrapped(new Adam(list, { lr }));
  throw new TypeError(`makeOptimizer: optimizer must be one of ${OPTIMIZER_KINDS.join(', ')}, got ${String(kind)}`);
}
