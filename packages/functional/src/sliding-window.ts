import { type Pair, pair, reshape, shapeToString, type Tensor, tensor, transpose } from '@mge/core';
import { rankArg } from './check.js';
import { conv2d } from './conv.js';

export interface SlidingWindowOptions {
  padding?: Pair;
  stride?: Pair;
  dilation?: Pair;
}

/**
 * MegEngine's F.sliding_window (unfold): inp (N, C, H, W) → (N, C, OH, OW, KH, KW), every
 * window of the zero-padded input. Computed as a depthwise convolution with one-hot filters,
 * so both directions run on the backend's convolution kernels.
 */
export function slidingWindow(inp: Tensor, kernelSize: Pair, options: SlidingWindowOptions = {}): Tensor {
  const op = 'slidingWindow';
  rankArg(op, 'inp', inp, [4]);
  const [kh, kw] = pair(op, 'kernelSize', kernelSize, 1);
  const padding = pair(op, 'padding', options.padding ?? 0, 0);
  const stride = pair(op, 'stride', options.stride ?? 1, 1);
  const dilation = pair(op, 'dilation', options.dilation ?? 1, 1);
  const [n, c] = inp.shape;
  if (c === 0) throw new Error(`${op}: argument 'inp' must have at least one channel, got shape ${shapeToString(inp.shape)}`);
  const kk = kh * kw;
  const eye = new Float32Array(c * kk * kk);
  for (let ch = 0; ch < c; ch++) for (let k = 0; k < kk; k++) eye[(ch * kk + k) * kk + k] = 1;
  const w = tensor(eye, { shape: [c, kk, 1, kh, kw], device: inp.device });
  const y = conv2d(inp, w, null, { padding, stride, dilation, groups: c });
  const [, , oh, ow] = y.shape;
  return transpose(reshape(y, [n, c, kh, kw, oh, ow]), [0, 1, 4, 5, 2, 3]);
}
