import { recordOp } from '../autograd/tape.js';
import { normalizeAxis, shapeToString } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { opRecorder } from '../trace-hook.js';
import { assertTensor } from './engine.js';
import { gatherGrad, scatterAddGrad } from './indexing-grad.js';
import { argsortKernel, gatherKernel, scatterAddKernel, topkKernel } from './indexing-kernels.js';

/**
 * index must be int32, of x's rank, and no longer than x on every axis but `axis`;
 * on hosts that read synchronously its values are checked to lie in [0, x.shape[axis]).
 */
function checkIndex(op: string, x: Tensor, index: Tensor, axis: number, arg = 'index'): void {
  assertTensor(op, index, arg);
  if (index.dtype !== 'int32') throw new TypeError(`${op}: argument '${arg}' must be int32, got ${index.dtype}`);
  if (index.ndim !== x.ndim) {
    throw new Error(`${op}: argument '${arg}' must have the rank of inp (${x.ndim}), got shape ${shapeToString(index.shape)}`);
  }
  for (let d = 0; d < x.ndim; d++) {
    if (d !== axis && index.shape[d] > x.shape[d]) {
      throw new Error(`${op}: argument '${arg}' ${shapeToString(index.shape)} must not exceed inp ${shapeToString(x.shape)} on axis ${d}`);
    }
  }
  // a trace records kernels, not checks: reading the index here would look like data-dependent control flow
  if (!index.backend.readSync || opRecorder()) return;
  const n = x.shape[axis];
  const values = index.dataSync();
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= n) {
      throw new RangeError(
        `${op}: argument '${arg}' must hold values in [0, ${n - 1}] (axis ${axis} of size ${n}), got ${values[i]} at flat position ${i}`,
      );
    }
  }
}

/** out[i][j][k] = inp[index[i][j][k]][j][k] along `axis` (MegEngine's F.gather; torch.gather). */
export function gather(inp: Tensor, axis: number, index: Tensor): Tensor {
  assertTensor('gather', inp, 'inp');
  const a = normalizeAxis('gather', axis, inp.ndim);
  checkIndex('gather', inp, index, a);
  const y = gatherKernel(inp, index, a);
  if (inp.dtype === 'float32') recordOp([inp, index], y, gatherGrad(inp, index, a));
  return y;
}

/** A copy of inp with src added at the positions index names along `axis` (repeated positions add up). */
export function scatterAdd(inp: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  assertTensor('scatterAdd', inp, 'inp');
  assertTensor('scatterAdd', src, 'source');
  const a = normalizeAxis('scatterAdd', axis, inp.ndim);
  checkIndex('scatterAdd', inp, index, a);
  if (src.dtype !== inp.dtype) throw new TypeError(`scatterAdd: argument 'source' must have inp's dtype ${inp.dtype}, got ${src.dtype}`);
  if (src.ndim !== index.ndim || src.shape.some((d, i) => d !== index.shape[i])) {
    throw new Error(`scatterAdd: argument 'source' must have index's shape ${shapeToString(index.shape)}, got ${shapeToString(src.shape)}`);
  }
  const y = scatterAddKernel(inp, index, src, a);
  if (inp.dtype === 'float32') recordOp([inp, index, src], y, scatterAddGrad(index, a));
  return y;
}

/** int32 positions that sort inp along `axis` (stable: equal values keep their order). */
export function argsort(inp: Tensor, descending = false, axis = -1): Tensor {
  assertTensor('argsort', inp, 'inp');
  if (typeof descending !== 'boolean') throw new TypeError(`argsort: argument 'descending' must be a boolean, got ${typeof descending}`);
  if (inp.ndim === 0) throw new Error("argsort: argument 'inp' must be at least 1-d, got a scalar");
  const a = normalizeAxis('argsort', axis, inp.ndim);
  return argsortKernel(inp, a, descending);
}

/**
 * int32 positions of the k smallest (or, descending, largest) entries along `axis`, in
 * sorted order: argsort's first k (stable, NaN last), without sorting the whole axis on
 * backends with a topk kernel.
 */
export function topkIndices(inp: Tensor, k: number, descending = false, axis = -1): Tensor {
  assertTensor('topkIndices', inp, 'inp');
  if (typeof descending !== 'boolean')
    throw new TypeError(`topkIndices: argument 'descending' must be a boolean, got ${typeof descending}`);
  if (inp.ndim === 0) throw new Error("topkIndices: argument 'inp' must be at least 1-d, got a scalar");
  const a = normalizeAxis('topkIndices', axis, inp.ndim);
  const n = inp.shape[a];
  if (!Number.isInteger(k) || k < 1 || k > n)
    throw new RangeError(`topkIndices: argument 'k' must be an integer in [1, ${n}] for inp ${shapeToString(inp.shape)}, got ${k}`);
  return topkKernel(inp, k, a, descending);
}
