/**
 * The optimizers the Train tab offers, behind one small interface.
 * TODO(playground): switch to @mge/optimizer's SGD/Adam when that package lands
 * (it was an empty stub when this was written); this file is the only place to change.
 */
import { noGrad, type Parameter, type Tensor, zerosLike } from '@mge/core';

export type OptimizerKind = 'sgd' | 'adam';
export const OPTIMIZER_KINDS: readonly OptimizerKind[] = ['sgd', 'adam'];

export interface Optim {
  lr: number;
  step(): void;
  clearGrad(): void;
}

class LocalSgd implements Optim {
  private readonly velocity = new Map<Parameter, Tensor>();
  constructor(
    private readonly params: Parameter[],
    public lr: number,
    private readonly momentum = 0.9,
  ) {}
  step(): void {
    noGrad(() => {
      for (const p of this.params) {
        if (!p.grad) continue;
        const prev = this.velocity.get(p);
        const v = prev ? prev.mul(this.momentum).add(p.grad) : p.grad;
        this.velocity.set(p, v);
        p._reset(p.sub(v.mul(this.lr)));
      }
    });
  }
  clearGrad(): void {
    for (const p of this.params) p.grad = null;
  }
}

class LocalAdam implements Optim {
  private readonly m = new Map<Parameter, Tensor>();
  private readonly v = new Map<Parameter, Tensor>();
  private t = 0;
  constructor(
    private readonly params: Parameter[],
    public lr: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
  ) {}
  step(): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    noGrad(() => {
      for (const p of this.params) {
        const g = p.grad;
        if (!g) continue;
        const m = (this.m.get(p) ?? zerosLike(p)).mul(this.beta1).add(g.mul(1 - this.beta1));
        const v = (this.v.get(p) ?? zerosLike(p)).mul(this.beta2).add(g.mul(g).mul(1 - this.beta2));
        this.m.set(p, m);
        this.v.set(p, v);
        p._reset(p.sub(m.div(c1).div(v.div(c2).sqrt().add(this.eps)).mul(this.lr)));
      }
    });
  }
  clearGrad(): void {
    for (const p of this.params) p.grad = null;
  }
}

export function makeOptimizer(kind: OptimizerKind, params: Iterable<Parameter>, lr: number): Optim {
  if (!(typeof lr === 'number' && lr > 0 && Number.isFinite(lr))) throw new RangeError(`makeOptimizer: lr must be a positive number, got ${lr}`);
  const list = [...params];
  if (kind === 'sgd') return new LocalSgd(list, lr);
  if (kind === 'adam') return new LocalAdam(list, lr);
  throw new TypeError(`makeOptimizer: optimizer must be one of ${OPTIMIZER_KINDS.join(', ')}, got ${String(kind)}`);
}
