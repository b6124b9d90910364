import type { Tensor } from '@mge/core';
import { Module } from './module.js';

/**
 * Runs its modules in order. They are children "0", "1", … (or the keys of a Map
 * given to the constructor), sorted as strings in the state dict, as in MegEngine.
 */
export class Sequential extends Module {
  private readonly _order: string[];

  constructor(...modules: Module[] | [Map<string, Module>]) {
    super();
    const entries: [string, Module][] =
      modules.length === 1 && modules[0] instanceof Map ? [...modules[0].entries()] : (modules as Module[]).map((m, i) => [String(i), m]);
    for (const [k, m] of entries) {
      if (!(m instanceof Module)) throw new TypeError(`Sequential: layer '${k}' must be a Module, got ${m === null ? 'null' : typeof m}`);
      if (k.startsWith('_') || k in this) throw new Error(`Sequential: layer name '${k}' is reserved`);
      (this as unknown as Record<string, Module>)[k] = m;
    }
    this._order = entries.map(([k]) => k);
  }

  get layers(): Module[] {
    return this._order.map((k) => (this as unknown as Record<string, Module>)[k]);
  }
  get size(): number {
    return this._order.length;
  }
  at(i: number): Module {
    const m = this.layers.at(i);
    if (!m) throw new RangeError(`Sequential.at: index ${i} is out of range for ${this._order.length} layers`);
    return m;
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.layers) y = m(y);
    return y;
  }
}
