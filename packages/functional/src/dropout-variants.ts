import { mul, random, shapeToString, Tensor, tensor } from '@mge/core';

/**
 * Channel dropout (PyTorch's dropout2d/dropout3d): zeroes whole channels (axis 1 of
 * (N, C, …)) with probability dropProb and scales the kept ones by 1/(1 − dropProb), so
 * neighbouring activations of a conv feature map drop together.
 */
export function dropoutChannels(inp: Tensor, dropProb: number, training = true): Tensor {
  if (!(inp instanceof Tensor))
    throw new TypeError(`dropoutChannels: argument 'inp' must be a Tensor, got ${inp === null ? 'null' : typeof inp}`);
  if (inp.ndim < 2) throw new Error(`dropoutChannels: argument 'inp' must be at least 2-d (N, C, …), got ${shapeToString(inp.shape)}`);
  if (!(dropProb >= 0 && dropProb < 1)) throw new RangeError(`dropoutChannels: argument 'dropProb' must be in [0, 1), got ${dropProb}`);
  if (!training || dropProb === 0) return inp;
  const [n, c] = inp.shape;
  const keep = random.uniformArray(n * c);
  const scale = 1 / (1 - dropProb);
  for (let i = 0; i < keep.length; i++) keep[i] = keep[i] >= dropProb ? scale : 0;
  return mul(inp, tensor(keep, { shape: [n, c, ...new Array(inp.ndim - 2).fill(1)], device: inp.device }));
}
export const dropout2d = dropoutChannels;
export const dropout3d = dropoutChannels;
