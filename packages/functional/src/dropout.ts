import { mul, random, Tensor, tensor } from '@mge/core';

/** Zeroes each element with probability dropProb and scales the rest by 1/(1−dropProb). */
export function dropout(inp: Tensor, dropProb: number, training = true): Tensor {
  if (!(inp instanceof Tensor)) throw new TypeError(`dropout: argument 'inp' must be a Tensor, got ${typeof inp}`);
  if (!(dropProb >= 0 && dropProb < 1)) throw new RangeError(`dropout: argument 'dropProb' must be in [0, 1), got ${dropProb}`);
  if (!training || dropProb === 0) return inp;
  const u = random.uniformArray(inp.size);
  const scale = 1 / (1 - dropProb);
  for (let i = 0; i < u.length; i++) u[i] = u[i] >= dropProb ? scale : 0;
  return mul(inp, tensor(u, { shape: inp.shape, device: inp.device }));
}
