// Runs gather / scatterAdd / argsort / topk on the backend's kernel when it has one, else on
// the composed default. Arguments are already checked; nothing is recorded for autograd.

import { getBackend } from '../registry.js';
import type { Tensor } from '../tensor.js';
import { commonDevice, runKernel } from './engine.js';
import { argsortDefault, firstAlong, gatherDefault, scatterAddDefault } from './indexing-default.js';

export function gatherKernel(x: Tensor, index: Tensor, axis: number): Tensor {
  const backend = getBackend(commonDevice('gather', [x, index]));
  if (!backend.gather) return gatherDefault(x, index, axis);
  return runKernel('gather', [x, index], index.shape, x.dtype, (k) => k.gather!(x.ref('gather'), index.ref('gather'), axis));
}

export function scatterAddKernel(x: Tensor, index: Tensor, src: Tensor, axis: number): Tensor {
  const backend = getBackend(commonDevice('scatterAdd', [x, index, src]));
  if (!backend.scatterAdd) return scatterAddDefault(x, index, src, axis);
  return runKernel('scatterAdd', [x, index, src], x.shape, x.dtype, (k) =>
    k.scatterAdd!(x.ref('scatterAdd'), index.ref('scatterAdd'), src.ref('scatterAdd'), axis),
  );
}

export function argsortKernel(x: Tensor, axis: number, descending: boolean): Tensor {
  const backend = getBackend(commonDevice('argsort', [x]));
  if (!backend.argsort) return argsortDefault(x, axis, descending);
  return runKernel('argsort', [x], x.shape, 'int32', (k) => k.argsort!(x.ref('argsort'), axis, descending));
}

/** argsort's first k positions along `axis`; without a kernel, argsort (kernel or default) then a slice. */
export function topkKernel(x: Tensor, k: number, axis: number, descending: boolean): Tensor {
  const backend = getBackend(commonDevice('topk', [x]));
  if (!backend.topk) return firstAlong(argsortKernel(x, axis, descending), axis, k);
  const shape = x.shape.map((d, i) => (i === axis ? k : d));
  return runKernel('topk', [x], shape, 'int32', (b) => b.topk!(x.ref('topk'), k, axis, descending));
}
