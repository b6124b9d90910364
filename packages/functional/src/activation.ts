import {
  type Axis,
  add,
  astype,
  gelu as coreGelu,
  logsumexp as coreLogsumexp,
  relu as coreRelu,
  sigmoid as coreSigmoid,
  tanh as coreTanh,
  exp,
  gt,
  log,
  mul,
  normalizeAxis,
  Tensor,
  where,
} from '@mge/core';
import { Softmax } from './hand-grads.js';
import { LogSoftmax } from './log-softmax.js';

function check(op: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: argument 'inp' must be a Tensor, got ${x === null ? 'null' : typeof x}`);
}

export function relu(inp: Tensor): Tensor {
  check('relu', inp);
  return coreRelu(inp);
}
export function sigmoid(inp: Tensor): Tensor {
  check('sigmoid', inp);
  return coreSigmoid(inp);
}
export function tanh(inp: Tensor): Tensor {
  check('tanh', inp);
  return coreTanh(inp);
}

export function leakyRelu(inp: Tensor, negativeSlope = 0.01): Tensor {
  check('leakyRelu', inp);
  if (!Number.isFinite(negativeSlope))
    throw new TypeError(`leakyRelu: argument 'negativeSlope' must be a finite number, got ${negativeSlope}`);
  return where(gt(inp, 0), inp, mul(inp, negativeSlope));
}

/** Exact GELU, x·Φ(x), as MegEngine's F.gelu. */
export function gelu(inp: Tensor): Tensor {
  check('gelu', inp);
  return coreGelu(inp);
}

export function silu(inp: Tensor): Tensor {
  check('silu', inp);
  return mul(inp, coreSigmoid(inp));
}

/** MegEngine's default softmax axis: 0 for 0-, 1- and 3-d inputs, 1 otherwise. */
function softmaxAxis(op: string, inp: Tensor, axis: number | undefined | null): number {
  if (axis === undefined || axis === null) return inp.ndim === 0 || inp.ndim === 1 || inp.ndim === 3 ? 0 : 1;
  return normalizeAxis(op, axis, inp.ndim);
}

export function softmax(inp: Tensor, axis?: number | null): Tensor {
  check('softmax', inp);
  const a = softmaxAxis('softmax', inp, axis);
  return new Softmax(a).call(inp);
}

export function logSoftmax(inp: Tensor, axis?: number | null): Tensor {
  check('logSoftmax', inp);
  const a = softmaxAxis('logSoftmax', inp, axis);
  return new LogSoftmax(a).call(astype(inp, 'float32'));
}
export const logsoftmax = logSoftmax;

export function logsumexp(inp: Tensor, axis?: Axis, keepdims = false): Tensor {
  check('logsumexp', inp);
  return coreLogsumexp(inp, axis, keepdims);
}

/** log(1 + exp(x)) without overflow. */
export function softplus(inp: Tensor): Tensor {
  check('softplus', inp);
  return add(coreRelu(inp), log(add(exp(mul(astype(inp, 'float32').abs(), -1)), 1)));
}
