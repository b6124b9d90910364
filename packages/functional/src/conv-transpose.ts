import { add, type ConvTranspose2dOptions, convTranspose2dPrimitive, reshape, shapeToString, type Tensor } from '@mge/core';
import { biasArg, rankArg } from './check.js';

export type { ConvTranspose2dOptions };

/**
 * MegEngine's F.conv_transpose2d. weight is (IC, OC, KH, KW), or (G, IC/G, OC/G, KH, KW)
 * when grouped; bias is (1, OC, 1, 1).
 */
export function convTranspose2d(inp: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  rankArg(op, 'weight', weight, [4, 5]);
  const groups = options.groups ?? 1;
  let w = weight;
  if (weight.ndim === 5) {
    const [g, icg, ocg, kh, kw] = weight.shape;
    if (g !== groups) throw new Error(`${op}: a 5-d weight ${shapeToString(weight.shape)} holds ${g} groups but 'groups' is ${groups}`);
    w = reshape(weight, [g * icg, ocg, kh, kw]);
  }
  const y = convTranspose2dPrimitive(inp, w, options);
  if (bias === undefined || bias === null) return y;
  return add(y, reshape(biasArg(op, bias, [1, y.shape[1], 1, 1]), [1, y.shape[1], 1, 1]));
}
