import { add, matmul, type Pair, reshape, shapeToString, type Tensor, transpose } from '@mge/core';
import { rankArg, tensorArg } from './check.js';
import { slidingWindow } from './sliding-window.js';

export interface LocalConv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
}

/**
 * MegEngine's F.local_conv2d, a convolution whose filters differ at every output position.
 * weight is (G, OH, OW, C/G, KH, KW, O/G) (a 6-d weight without G means one group).
 * Computed as one batched matmul over the input's sliding windows.
 */
export function localConv2d(inp: Tensor, weight: Tensor, bias?: Tensor | null, options: LocalConv2dOptions = {}): Tensor {
  const op = 'localConv2d';
  rankArg(op, 'inp', inp, [4]);
  rankArg(op, 'weight', weight, [6, 7]);
  const w7 = weight.ndim === 6 ? reshape(weight, [1, ...weight.shape]) : weight;
  const [g, woh, wow, cg, kh, kw, og] = w7.shape;
  const [n, c] = inp.shape;
  if (cg * g !== c) {
    throw new Error(
      `${op}: weight ${shapeToString(weight.shape)} expects ${cg * g} input channels but inp ${shapeToString(inp.shape)} has ${c}`,
    );
  }
  const cols = slidingWindow(inp, [kh, kw], options); // [N, C, OH, OW, KH, KW]
  const [, , oh, ow] = cols.shape;
  if (oh !== woh || ow !== wow) {
    throw new Error(
      `${op}: weight ${shapeToString(weight.shape)} is made for a ${woh}×${wow} output but inp ${shapeToString(inp.shape)} gives ${oh}×${ow}`,
    );
  }
  // [G·OH·OW, N, C/G·KH·KW] · [G·OH·OW, C/G·KH·KW, O/G] → [G·OH·OW, N, O/G]
  const a = reshape(transpose(reshape(cols, [n, g, cg, oh, ow, kh, kw]), [1, 3, 4, 0, 2, 5, 6]), [g * oh * ow, n, cg * kh * kw]);
  const y = matmul(a, reshape(w7, [g * oh * ow, cg * kh * kw, og]));
  const out = reshape(transpose(reshape(y, [g, oh, ow, n, og]), [3, 0, 4, 1, 2]), [n, g * og, oh, ow]);
  if (bias === undefined || bias === null) return out;
  return add(out, tensorArg(op, 'bias', bias));
}
