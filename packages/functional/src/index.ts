/**
 * @mge/functional — MegEngine's megengine.functional in camelCase. `F.nn` is the
 * same namespace, as in MegEngine. Tensor functions from @mge/core are re-exported.
 */
export {
  abs,
  add,
  arange,
  argmax,
  argmin,
  astype,
  broadcastTo,
  ceil,
  clip,
  concat,
  cos,
  div,
  eq,
  erf,
  exp,
  expandDims,
  eye,
  flatten,
  flip,
  floor,
  full,
  full as fill,
  ge,
  gt,
  index,
  le,
  linspace,
  log,
  logicalAnd,
  logicalNot,
  logicalOr,
  lt,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  ne,
  neg,
  ones,
  onesLike,
  pow,
  prod,
  reshape,
  round,
  sign,
  sin,
  split,
  sqrt,
  squeeze,
  stack,
  std,
  sub,
  sum,
  transpose,
  unsqueeze,
  var,
  where,
  zeros,
  zerosLike,
} from '@mge/core';
export * from './activation.js';
export * from './activation-extra.js';
export * from './attention.js';
export * from './conv.js';
export * from './conv-local.js';
export * from './conv-nd.js';
export * from './conv-transpose.js';
export * from './ctc.js';
export * from './dropout.js';
export * from './dropout-variants.js';
export * from './indexing.js';
export * from './loss.js';
export * from './loss-extra.js';
export * from './metric.js';
export * as nn from './nn.js';
export * from './normalization.js';
export * from './normalization-layers.js';
export { oneHot } from './onehot.js';
export * from './pad.js';
export * from './pooling.js';
export * from './pooling-adaptive.js';
export * from './recurrent.js';
export * from './sliding-window.js';
export * as vision from './vision.js';
export { type InterpolateMode, type InterpolateOptions, interpolate, pixelShuffle } from './vision.js';
