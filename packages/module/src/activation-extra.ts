import { Parameter, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { positiveInt } from './init.js';
import { Module } from './module.js';

/** MegEngine's M.PReLU: `numParameters` slopes (1, or one per channel), each initialised to `init`. */
export class PReLU extends Module {
  weight: Parameter;
  readonly numParameters_: number;
  constructor(numParameters = 1, init = 0.25) {
    super();
    this.numParameters_ = positiveInt('PReLU', 'numParameters', numParameters);
    if (!Number.isFinite(init)) throw new TypeError(`PReLU: argument 'init' must be a finite number, got ${init}`);
    this.weight = new Parameter(tensor(new Float32Array(numParameters).fill(init)));
  }
  forward(x: Tensor): Tensor {
    return F.prelu(x, this.weight);
  }
  protected override extraRepr(): string {
    return `num_parameters=${this.numParameters_}`;
  }
}

export class ReLU6 extends Module {
  forward(x: Tensor): Tensor {
    return F.relu6(x);
  }
}
export class Hardswish extends Module {
  forward(x: Tensor): Tensor {
    return F.hswish(x);
  }
}
export class Hardsigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.hsigmoid(x);
  }
}
export class Softplus extends Module {
  forward(x: Tensor): Tensor {
    return F.softplus(x);
  }
}
export class LogSigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.logsigmoid(x);
  }
}
export class Mish extends Module {
  forward(x: Tensor): Tensor {
    return F.mish(x);
  }
}

const ELEMWISE: Record<string, (xs: Tensor[]) => Tensor> = {
  ADD: ([a, b]) => F.add(a, b),
  SUB: ([a, b]) => F.sub(a, b),
  MUL: ([a, b]) => F.mul(a, b),
  TRUE_DIV: ([a, b]) => F.div(a, b),
  MAX: ([a, b]) => F.maximum(a, b),
  MIN: ([a, b]) => F.minimum(a, b),
  POW: ([a, b]) => F.pow(a, b),
  NEGATE: ([a]) => F.neg(a),
  ABS: ([a]) => F.abs(a),
  EXP: ([a]) => F.exp(a),
  LOG: ([a]) => F.log(a),
  RELU: ([a]) => F.relu(a),
  SIGMOID: ([a]) => F.sigmoid(a),
  TANH: ([a]) => F.tanh(a),
  H_SWISH: ([a]) => F.hswish(a),
  FUSE_ADD_RELU: ([a, b]) => F.relu(F.add(a, b)),
  FUSE_ADD_SIGMOID: ([a, b]) => F.sigmoid(F.add(a, b)),
  FUSE_ADD_TANH: ([a, b]) => F.tanh(F.add(a, b)),
  FUSE_ADD_H_SWISH: ([a, b]) => F.hswish(F.add(a, b)),
  FUSE_MUL_ADD3: ([a, b, c]) => F.add(F.mul(a, b), c),
};
const ARITY: Record<string, number> = { NEGATE: 1, ABS: 1, EXP: 1, LOG: 1, RELU: 1, SIGMOID: 1, TANH: 1, H_SWISH: 1, FUSE_MUL_ADD3: 3 };

/** MegEngine's M.Elemwise: one named elementwise method (e.g. 'FUSE_ADD_RELU') as a module, for quantisation-friendly graphs. */
export class Elemwise extends Module {
  readonly method: string;
  constructor(method: string) {
    super();
    const m = typeof method === 'string' ? method.toUpperCase() : method;
    if (typeof m !== 'string' || !(m in ELEMWISE)) {
      throw new TypeError(`Elemwise: argument 'method' must be one of ${Object.keys(ELEMWISE).join(', ')}, got ${String(method)}`);
    }
    this.method = m;
  }
  forward(...inputs: Tensor[]): Tensor {
    const arity = ARITY[this.method] ?? 2;
    if (inputs.length !== arity) throw new Error(`Elemwise(${this.method}): expected ${arity} inputs, got ${inputs.length}`);
    return ELEMWISE[this.method](inputs);
  }
  protected override extraRepr(): string {
    return `method=${this.method}`;
  }
}
