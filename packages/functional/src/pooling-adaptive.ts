import { type Pair, pair, pool2dPrimitive, shapeToString, type Tensor } from '@mge/core';
import { rankArg } from './check.js';

/**
 * MegEngine's adaptive pooling is an ordinary pooling with stride ⌊in/out⌋ and window
 * in − (out − 1)·stride (megdnn's AdaptivePooling); for sizes that divide evenly this is
 * PyTorch's adaptive pooling too.
 */
function adaptive(op: 'max' | 'avg', name: string, inp: Tensor, oshp: Pair): Tensor {
  rankArg(name, 'inp', inp, [4]);
  const [oh, ow] = pair(name, 'oshp', oshp, 1);
  const [, , h, w] = inp.shape;
  if (oh > h || ow > w)
    throw new Error(`${name}: argument 'oshp' must not exceed the input's ${h}×${w}, got ${oh}×${ow} for inp ${shapeToString(inp.shape)}`);
  const sh = Math.floor(h / oh);
  const sw = Math.floor(w / ow);
  return pool2dPrimitive(op, inp, [h - (oh - 1) * sh, w - (ow - 1) * sw], [sh, sw], 0);
}

/** MegEngine's F.adaptive_avg_pool2d: inp (N, C, H, W) → (N, C, OH, OW). */
export function adaptiveAvgPool2d(inp: Tensor, oshp: Pair): Tensor {
  return adaptive('avg', 'adaptiveAvgPool2d', inp, oshp);
}

/** MegEngine's F.adaptive_max_pool2d: inp (N, C, H, W) → (N, C, OH, OW). */
export function adaptiveMaxPool2d(inp: Tensor, oshp: Pair): Tensor {
  return adaptive('max', 'adaptiveMaxPool2d', inp, oshp);
}
