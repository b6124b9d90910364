import { add, div, mul, noGrad, reshape, sqrt, sub, sum, type Tensor, tensor } from '@mge/core';
import * as M from '@mge/module';
import { allReduceSum } from './functional.js';
import { getWorldSize } from './world.js';

/** Sums over ranks inside autograd; the identity in a world of one. */
function sumOverRanks(x: Tensor): Tensor {
  return getWorldSize() > 1 ? allReduceSum(x) : x;
}

/**
 * MegEngine's SyncBatchNorm: in training the batch statistics are those of the global batch,
 * all ranks' samples together (two all-reduces per forward, two per backward), so N ranks with
 * batch B normalize as one process with batch N·B. Evaluation uses the running statistics, as
 * BatchNorm2d. Every rank must run the same forward passes in the same order.
 */
export class SyncBatchNorm extends M.BatchNorm2d {
  override forward(x: Tensor): Tensor {
    if (!this.training && this.runningMean) return super.forward(x);
    if (x.ndim !== 4) throw new Error(`SyncBatchNorm: expected a 4-d input (N, C, H, W), got shape (${x.shape.join(', ')})`);
    const c = x.shape[1];
    if (c !== this.numFeatures) throw new Error(`SyncBatchNorm: expected ${this.numFeatures} channels, got ${c}`);
    const axes = [0, 2, 3];
    const local = x.size / c;
    const n = getWorldSize() > 1 ? allReduceSum(tensor(Int32Array.of(local), { dtype: 'int32' })).item() : local;
    if (n === 0) throw new Error('SyncBatchNorm: the global batch is empty; every rank has a 0-sized input');
    // two passes (mean, then the mean square deviation) as BatchNorm2d, for the same rounding
    const mean = div(sumOverRanks(sum(x, axes, true)), n);
    const d = sub(x, mean);
    const variance = div(sumOverRanks(sum(mul(d, d), axes, true)), n);
    let y = div(d, sqrt(add(variance, this.eps)));
    if (this.weight) y = mul(y, reshape(this.weight, [1, c, 1, 1]));
    if (this.bias) y = add(y, reshape(this.bias, [1, c, 1, 1]));
    if (this.runningMean && this.runningVar) {
      const rm = this.runningMean;
      const rv = this.runningVar;
      const m = this.momentum;
      noGrad(() => {
        const newMean = add(mul(rm, m), mul(mean, 1 - m));
        const newVar = add(mul(rv, m), mul(variance, ((1 - m) * n) / Math.max(n - 1, 1)));
        rm._reset(reshape(newMean, rm.shape));
        rv._reset(reshape(newVar, rv.shape));
      });
    }
    return y;
  }
}

/** A SyncBatchNorm holding `bn`'s own parameters and running statistics (the same tensors). */
function toSync(bn: M.BatchNorm2d): SyncBatchNorm {
  const sync = new SyncBatchNorm(bn.numFeatures, {
    eps: bn.eps,
    momentum: bn.momentum,
    affine: bn.weight !== null,
    trackRunningStats: bn.runningMean !== null,
  });
  sync.weight = bn.weight;
  sync.bias = bn.bias;
  sync.runningMean = bn.runningMean;
  sync.runningVar = bn.runningVar;
  return sync.train(bn.training);
}

/**
 * MegEngine's convert_sync_bn / PyTorch's convert_sync_batchnorm: replaces every BatchNorm2d
 * inside `module` (fields, arrays of modules, Sequential layers) by a SyncBatchNorm over the
 * same tensors, in place, and returns the module (a new SyncBatchNorm if `module` is a BatchNorm2d).
 */
export function convertSyncBatchNorm<T extends M.Module>(module: T): T {
  if (!(module instanceof M.Module)) {
    throw new TypeError(`convertSyncBatchNorm: argument 'module' must be a Module, got ${module === null ? 'null' : typeof module}`);
  }
  if (module instanceof M.BatchNorm2d && !(module instanceof SyncBatchNorm)) return toSync(module) as unknown as T;
  const seen = new Set<unknown>();
  const swap = (v: unknown): unknown => {
    if (v instanceof M.BatchNorm2d && !(v instanceof SyncBatchNorm)) return toSync(v);
    if (v instanceof M.Module) visit(v);
    else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) v[i] = swap(v[i]);
    return v;
  };
  const visit = (m: M.Module) => {
    if (seen.has(m)) return;
    seen.add(m);
    const fields = m as unknown as Record<string, unknown>;
    for (const key of Object.keys(m)) if (!key.startsWith('_')) fields[key] = swap(fields[key]);
  };
  visit(module);
  return module;
}
