import { type GradCallback, type Tensor, Tensor as TensorClass, tensor } from '@mge/core';
import { allGather, allReduceMean, allReduceSum, broadcast } from './functional.js';
import { getWorldSize, requireWorld } from './world.js';

/**
 * MegEngine's make_allreduce_cb: all-reduces every gradient across ranks before it is added to
 * `.grad`. Use it as `gm.attach(model.parameters(), { callbacks: [makeAllreduceCb('mean')] })`.
 * 'mean' makes N ranks with per-rank batch B step like one process on a batch of N·B when the
 * loss is a per-rank mean.
 */
export function makeAllreduceCb(reduceMethod: 'sum' | 'mean' = 'mean'): GradCallback {
  if (reduceMethod !== 'sum' && reduceMethod !== 'mean') {
    throw new TypeError(`makeAllreduceCb: argument 'reduceMethod' must be 'sum' or 'mean', got ${String(reduceMethod)}`);
  }
  const reduce = reduceMethod === 'mean' ? allReduceMean : allReduceSum;
  return (_param, grad) => {
    if (getWorldSize() === 1) return grad;
    const out = reduce(grad);
    grad.dispose();
    return out;
  };
}

/**
 * Copies rank 0's values into every tensor of `params` on every rank (MegEngine's
 * bcast_list_). First checks that all ranks hold the same number of tensors with the same
 * shapes, so a mismatched model fails with a clear error instead of corrupting memory.
 */
export function bcastListToRank0(params: Iterable<Tensor>, op = 'bcastListToRank0'): void {
  if (params === null || params === undefined || typeof (params as Iterable<Tensor>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${op}: argument 'params' must be an iterable of Tensors, got ${String(params)}`);
  }
  const list = [...params];
  for (const p of list) if (!(p instanceof TensorClass)) throw new TypeError(`${op}: every item must be a Tensor, got ${String(p)}`);
  const { rank, size } = requireWorld(op);
  if (size === 1) return;
  // signature: count, then an FNV-1a hash of every shape and dtype
  let h = 0x811c9dc5;
  const mix = (v: number) => {
    h = Math.imul(h ^ v, 0x01000193) >>> 0;
  };
  for (const p of list) {
    mix(p.ndim);
    for (const d of p.shape) mix(d);
    mix(p.dtype === 'float32' ? 1 : p.dtype === 'int32' ? 2 : 3);
  }
  const sig = allGather(tensorOfInts([list.length, h | 0])).dataSync();
  for (let r = 1; r < size; r++) {
    if (sig[2 * r] !== sig[0] || sig[2 * r + 1] !== sig[1]) {
      throw new Error(
        `${op}: the model on rank ${r} differs from rank 0's (${sig[2 * r]} tensors vs ${sig[0]}, or different shapes/dtypes); every rank must build the same model (this is rank ${rank})`,
      );
    }
  }
  for (const p of list) {
    const v = broadcast(p, 0);
    p._reset(v);
    v.dispose();
  }
}

/** Broadcasts a module's parameters and buffers from rank 0 (call once, before training). */
export function broadcastParameters(module: { parameters(): Iterable<Tensor>; buffers?(): Iterable<Tensor> }): void {
  // a Module is callable, so typeof may be 'function'
  if (module === null || (typeof module !== 'object' && typeof module !== 'function') || typeof module.parameters !== 'function') {
    throw new TypeError(`broadcastParameters: argument 'module' must be a Module, got ${module === null ? 'null' : typeof module}`);
  }
  const all = [...module.parameters(), ...(typeof module.buffers === 'function' ? module.buffers() : [])];
  bcastListToRank0(all, 'broadcastParameters');
}

function tensorOfInts(values: number[]): Tensor {
  return tensor(Int32Array.from(values), { dtype: 'int32' });
}
