import { type Parameter, scaledAdd, type Tensor, zerosLike } from '@mge/core';
import { type BaseOptions, describe, type HyperValue, Optimizer, type ParamGroup, type ParamState, type ParamsInput } from './optimizer.js';

export interface SGDOptions extends BaseOptions {
  /** Momentum factor (default 0). */
  momentum: number;
  /** Nesterov momentum; needs momentum > 0 (default false). */
  nesterov: boolean;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
}

/**
 * Stochastic gradient descent with MegEngine's update rule:
 *   g = grad + weightDecay * p
 *   v = momentum * v + g                  (when momentum > 0)
 *   g = nesterov ? g + momentum * v : v
 *   p = p - lr * g
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    super('SGD', params, { momentum: 0, nesterov: false, weightDecay: 0, ...options });
  }

  protected override checkOption(key: string, value: HyperValue, where: string): void {
    super.checkOption(key, value, where);
    if ((key === 'momentum' || key === 'weightDecay') && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw new RangeError(`SGD: ${where} '${key}' must be a non-negative number, got ${describe(value)}`);
    }
    if (key === 'nesterov' && typeof value !== 'boolean')
      throw new TypeError(`SGD: ${where} 'nesterov' must be a boolean, got ${describe(value)}`);
  }

  protected override checkGroup(group: ParamGroup<SGDOptions>, where: string): void {
    if (group.nesterov && !(group.momentum > 0)) {
      throw new RangeError(`SGD: ${where} 'nesterov' needs 'momentum' > 0, got momentum ${group.momentum}`);
    }
  }

  protected initState(param: Parameter, group: ParamGroup<SGDOptions>): ParamState {
    return group.momentum !== 0 ? { momentumBuffer: zerosLike(param) } : {};
  }

  protected update(p: Parameter, grad: Tensor, state: ParamState, group: ParamGroup<SGDOptions>): Tensor {
    const { lr, momentum, nesterov, weightDecay } = group;
    // each line one scaledAdd kernel, equal bit for bit to its two scalings and an add
    let g = weightDecay !== 0 ? scaledAdd(grad, p, 1, weightDecay) : grad;
    if (momentum !== 0) {
      // A group's momentum may be raised from 0 by loadStateDict or by hand: start its buffer then.
      const buf = (state.momentumBuffer as Tensor | undefined) ?? (state.momentumBuffer = zerosLike(p));
      const v = scaledAdd(buf, g, momentum, 1);
      Optimizer.assign(buf, v);
      g = nesterov ? scaledAdd(g, v, 1, momentum) : v;
    }
    return scaledAdd(p, g, 1, -lr);
  }
}
