import { type Conv2dOptions, fusedConv2d, fusedLinear, reshape, shapeToString, Tensor } from '@mge/core';

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
  // bias (and a relu applied next) run in the convolution's epilogue; core checks it
  return fusedConv2d(inp, w, bias ?? null, options);
}

/** MegEngine's F.linear: inp · weightᵀ + bias, weight (out, in), bias (out,). */
export function linear(inp: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (!(inp instanceof Tensor)) throw new TypeError(`linear: argument 'inp' must be a Tensor, got ${typeof inp}`);
  if (!(weight instanceof Tensor) || weight.ndim !== 2) {
    throw new Error(
      `linear: argument 'weight' must be a 2-d Tensor (out_features, in_features), got ${weight instanceof Tensor ? shapeToString(weight.shape) : typeof weight}`,
    );
  }
  const inFeatures = inp.shape[inp.ndim - 1];
  if (inFeatures !== weight.shape[1]) {
    throw new Error(
      `linear: inp ${shapeToString(inp.shape)} has ${inFeatures} features but weight ${shapeToString(weight.shape)} expects ${weight.shape[1]}`,
    );
  }
  // bias (and a relu applied next) in the GEMM's epilogue; core checks it
  if (inp.ndim === 2) return fusedLinear(inp, weight, bias ?? null);
  const flat = fusedLinear(reshape(inp, [-1, inFeatures]), weight, bias ?? null);
  return reshape(flat, [...inp.shape.slice(0, -1), weight.shape[0]]);
}
