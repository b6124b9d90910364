import { type Parameter, scaledAdd, type Tensor, zerosLike } from '@mge/core';
import { type BaseOptions, describe, type HyperValue, Optimizer, type ParamGroup, type ParamState, type ParamsInput } from './optimizer.js';

export interface AdamOptions extends BaseOptions {
  /** Decay rates of the first and second moment averages (default [0.9, 0.999]). */
  betas: readonly [number, number];
  /** Added to the denominator (default 1e-8). */
  eps: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 1e-2). */
  weightDecay: number;
}

type Opts = Partial<AdamOptions> & { lr: number };

/** Shared by Adam and AdamW: option checks, state, and the bias-corrected Adam direction. */
abstract class AdamBase extends Optimizer<AdamOptions> {
  protected override checkOption(key: string, value: HyperValue, where: string): void {
    super.checkOption(key, value, where);
    const n = this.name;
    if ((key === 'eps' || key === 'weightDecay') && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw new RangeError(`${n}: ${where} '${key}' must be a non-negative number, got ${describe(value)}`);
    }
    if (key === 'betas') {
      const ok = Array.isArray(value) && value.length === 2 && value.every((b) => typeof b === 'number' && b >= 0 && b < 1);
      if (!ok) throw new RangeError(`${n}: ${where} 'betas' must be two numbers in [0, 1), got ${describe(value)}`);
    }
  }

  protected initState(param: Parameter): ParamState {
    return { expAvg: zerosLike(param), expAvgSq: zerosLike(param), step: 0 };
  }

  /** Advances the moments of `g` and returns m̂ / (√v̂ + eps). */
  protected direction(g: Tensor, state: ParamState, group: ParamGroup<AdamOptions>): Tensor {
    const [b1, b2] = group.betas;
    const step = (state.step as number) + 1;
    state.step = step;
    // one scaledAdd kernel each, equal bit for bit to two scalings and an add
    const m = scaledAdd(state.expAvg as Tensor, g, b1, 1 - b1);
    const v = scaledAdd(state.expAvgSq as Tensor, g.mul(g), b2, 1 - b2);
    Optimizer.assign(state.expAvg as Tensor, m);
    Optimizer.assign(state.expAvgSq as Tensor, v);
    // Bias corrections are computed in float64 on the host; only the tensors are float32.
    return m.div(1 - b1 ** step).div(
      v
        .div(1 - b2 ** step)
        .sqrt()
        .add(group.eps),
    );
  }
}

/** Adam (Kingma & Ba) with MegEngine's rule: weight decay is added to the gradient. */
export class Adam extends AdamBase {
  constructor(params: ParamsInput<AdamOptions>, options: Opts) {
    super('Adam', params, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, ...options });
  }

  protected update(p: Parameter, grad: Tensor, state: ParamState, group: ParamGroup<AdamOptions>): Tensor {
    const g = group.weightDecay !== 0 ? scaledAdd(grad, p, 1, group.weightDecay) : grad;
    return scaledAdd(p, this.direction(g, state, group), 1, -group.lr);
  }
}

/** AdamW (Loshchilov & Hutter): decay decoupled from the gradient, p -= lr·(adam + weightDecay·p). Default weightDecay 1e-2. */
export class AdamW extends AdamBase {
  constructor(params: ParamsInput<AdamOptions>, options: Opts) {
    super('AdamW', params, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, ...options });
  }

  protected update(p: Parameter, grad: Tensor, state: ParamState, group: ParamGroup<AdamOptions>): Tensor {
    let delta = this.direction(grad, state, group);
    if (group.weightDecay !== 0) delta = scaledAdd(delta, p, 1, group.weightDecay);
    return scaledAdd(p, delta, 1, -group.lr);
  }
}
