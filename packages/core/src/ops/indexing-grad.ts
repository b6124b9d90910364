// Gradient rules of the indexing primitives, kept apart from their forward ops.
import type { GradRule } from '../autograd/tape.js';
import type { Tensor } from '../tensor.js';
import { zeros } from './creation.js';
import { gatherKernel, scatterAddKernel } from './indexing-kernels.js';

/** out = gather(x, axis, index): dx = scatterAdd(0, axis, index, dy). */
export function gatherGrad(x: Tensor, index: Tensor, axis: number): GradRule {
  const shape = x.shape;
  return (dy) => [scatterAddKernel(zeros(shape, { device: dy.device }), index, dy, axis), null];
}

/** out = scatterAdd(x, axis, index, src): dx = dy, dsrc = gather(dy, axis, index). */
export function scatterAddGrad(index: Tensor, axis: number): GradRule {
  return (dy, needs) => [dy, null, needs[2] ? gatherKernel(dy, index, axis) : null];
}
