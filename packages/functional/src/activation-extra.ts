// The activations of mobile networks and friends, composed from core's elementwise ops.
import { add, clip, gt, maximum, minimum, mul, neg, reshape, shapeToString, Tensor, tanh, where } from '@mge/core';
import { softplus } from './activation.js';

function check(op: string, x: unknown, arg = 'inp'): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: argument '${arg}' must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.dtype !== 'float32') throw new TypeError(`${op}: argument '${arg}' must be float32, got ${x.dtype}`);
}

/** min(max(x, 0), 6) (MegEngine's F.relu6). */
export function relu6(inp: Tensor): Tensor {
  check('relu6', inp);
  return minimum(maximum(inp, 0), 6);
}

/** relu6(x + 3) / 6 (MegEngine's F.hsigmoid). */
export function hsigmoid(inp: Tensor): Tensor {
  check('hsigmoid', inp);
  return mul(clip(add(inp, 3), 0, 6), 1 / 6);
}
export const hardsigmoid = hsigmoid;

/** x · relu6(x + 3) / 6 (MegEngine's F.hswish). */
export function hswish(inp: Tensor): Tensor {
  check('hswish', inp);
  return mul(inp, mul(clip(add(inp, 3), 0, 6), 1 / 6));
}
export const hardswish = hswish;

/** log σ(x) = −softplus(−x), finite for large |x|. */
export function logsigmoid(inp: Tensor): Tensor {
  check('logsigmoid', inp);
  return neg(softplus(neg(inp)));
}
export const logSigmoid = logsigmoid;

/** x · tanh(softplus(x)). */
export function mish(inp: Tensor): Tensor {
  check('mish', inp);
  return mul(inp, tanh(softplus(inp)));
}

/**
 * MegEngine's F.prelu: x where x > 0, weight·x elsewhere. weight holds one slope, or one
 * per channel (axis 1 of inp).
 */
export function prelu(inp: Tensor, weight: Tensor): Tensor {
  check('prelu', inp);
  check('prelu', weight, 'weight');
  let w = weight;
  if (weight.size !== 1) {
    const c = inp.ndim >= 2 ? inp.shape[1] : -1;
    if (weight.size !== c) {
      throw new Error(
        `prelu: argument 'weight' must hold 1 value or one per channel (${c < 0 ? 'inp has no channel axis' : c}), got shape ${shapeToString(weight.shape)}`,
      );
    }
    w = reshape(weight, [1, c, ...new Array(inp.ndim - 2).fill(1)]);
  } else {
    w = reshape(weight, []);
  }
  return where(gt(inp, 0), inp, mul(inp, w));
}
