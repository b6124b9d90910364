import { add, type Conv2dOptions, conv2dPrimitive, matmul, reshape, shapeToString, Tensor } from '@mge/core';

function checkBias(op: string, bias: Tensor, expected: number[]): void {
  if (!(bias instanceof Tensor)) throw new TypeError(`${op}: argument 'bias' must be a Tensor, got ${typeof bias}`);
  const n = expected.reduce((a, b) => a * b, 1);
  if (bias.size !== n || (bias.ndim !== expected.length && bias.ndim !== 1)) {
    throw new Error(`${op}: argument 'bias' must have shape ${shapeToString(expected)}, got ${shapeToString(bias.shape)}`);
  }
}

/**
 * MegEngine's F.conv2d. Grouped convolution takes the 5-d weight
 * (groups, O/groups, C/groups, KH, KW); bias is (1, O, 1, 1).
 */
export function conv2d(inp: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  if (!(weight instanceof Tensor)) throw new TypeError(`conv2d: argument 'weight' must be a Tensor, got ${typeof weight}`);
  const groups = options.groups ?? 1;
  let w = weight;
  if (weight.ndim === 5) {
    const [g, og, cg, kh, kw] = weight.shape;
    if (g !== groups) {
      throw new Error(`conv2d: a 5-d weight ${shapeToString(weight.shape)} holds ${g} groups but 'groups' is ${groups}`);
    }
    w = reshape(weight, [g * og, cg, kh, kw]);
  } else if (weight.ndim !== 4) {
    throw new Error(`conv2d: argument 'weight' must be 4-d (O, C, KH, KW) or 5-d when grouped, got ${shapeToString(weight.shape)}`);
  }
  const y = conv2dPrimitive(inp, w, options);
  if (bias === undefined || bias === null) return y;
  checkBias('conv2d', bias, [1, w.shape[0], 1, 1]);
  return add(y, reshape(bias, [1, w.shape[0], 1, 1]));
}

/** MegEngine's F.linear: inp · weightᵀ + bias, weight (out, in), bias (out,). */
export function linear(inp: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (!(inp instanceof Tensor)) throw new TypeError(`linear: argument 'inp' must be a Tensor, got ${typeof inp}`);
  if (!(weight instanceof Tensor) || weight.ndim !== 2) {
    throw new Error(`linear: argument 'weight' must be a 2-d Tensor (out_features, in_features), got ${weight instanceof Tensor ? shapeToString(weight.shape) : typeof weight}`);
  }
  const inFeatures = inp.shape[inp.ndim - 1];
  if (inFeatures !== weight.shape[1]) {
    throw new Error(`linear: inp ${shapeToString(inp.shape)} has ${inFeatures} features but weight ${shapeToString(weight.shape)} expects ${weight.shape[1]}`);
  }
  const y = matmul(inp, weight, false, true);
  if (bias === undefined || bias === null) return y;
  checkBias('linear', bias, [weight.shape[0]]);
  return add(y, reshape(bias, [weight.shape[0]]));
}
