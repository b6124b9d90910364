// What gather, scatterAdd and argsort compute when a backend has no kernel for them:
// the same result from comparisons, where and sums (O(n·k) memory along the axis), so
// every backend runs them; a kernel only makes them faster.
import { noGrad } from '../autograd/tape.js';
import type { Tensor } from '../tensor.js';
import { add, eq, gt, logicalAnd, logicalOr, lt } from './binary.js';
import { astype } from './cast.js';
import { arange, zeros } from './creation.js';
import { index, pad, reshape, transpose, unsqueeze } from './movement.js';
import { sum } from './reduce.js';
import { where } from './where.js';

/** [1, …, n at `at`, …, 1] of rank `rank`: 0..n−1 along one axis. */
function positions(n: number, at: number, rank: number, device: string): Tensor {
  const shape = new Array(rank).fill(1);
  shape[at] = n;
  return reshape(arange(n, undefined, 1, { dtype: 'int32', device }), shape);
}

/** oneHot[..., k, j, ...] = (index[..., k, ...] == j), j a new axis after `axis`. */
function selector(index: Tensor, axis: number, n: number): Tensor {
  return eq(unsqueeze(index, axis + 1), positions(n, axis + 1, index.ndim + 1, index.device));
}

function summable(x: Tensor): Tensor {
  return x.dtype === 'bool' ? astype(x, 'int32') : x;
}

export function gatherDefault(x: Tensor, index: Tensor, axis: number): Tensor {
  return noGrad(() => {
    const n = x.shape[axis];
    const cropped = index.shape.map((d, i) => (i === axis ? {} : { stop: d }));
    const xs = unsqueeze(summable(index_(x, cropped)), axis);
    const out = sum(where(selector(index, axis, n), xs, 0), axis + 1);
    return x.dtype === 'bool' ? astype(out, 'bool') : out;
  });
}

export function scatterAddDefault(x: Tensor, index: Tensor, src: Tensor, axis: number): Tensor {
  return noGrad(() => {
    const n = x.shape[axis];
    const spread = sum(where(selector(index, axis, n), unsqueeze(summable(src), axis + 1), 0), axis);
    const pads = x.shape.map((d, i) => [0, i === axis ? 0 : d - index.shape[i]] as [number, number]);
    const out = add(summable(x), pad(spread, pads));
    return x.dtype === 'bool' ? astype(out, 'bool') : out;
  });
}

export function argsortDefault(x: Tensor, axis: number, descending: boolean): Tensor {
  return noGrad(() => {
    const last = x.ndim - 1;
    const perm = [...x.shape.keys()];
    [perm[axis], perm[last]] = [perm[last], perm[axis]];
    const v = summable(transpose(x, perm));
    const n = v.shape[last];
    const xi = unsqueeze(v, -1);
    const xj = unsqueeze(v, -2);
    const i = positions(n, v.ndim - 1, v.ndim + 1, x.device);
    const j = positions(n, v.ndim, v.ndim + 1, x.device);
    // element i's rank: how many come before it (ties keep their order: stable)
    const before = logicalOr(descending ? gt(xj, xi) : lt(xj, xi), logicalAnd(eq(xj, xi), lt(j, i)));
    const rank = sum(astype(before, 'int32'), -1);
    const at = eq(unsqueeze(rank, -2), i);
    const order = sum(where(at, j, zeros([], { dtype: 'int32', device: x.device })), -1);
    return transpose(order, perm);
  });
}

/** The first k entries along `axis` (topk's default: a slice of the full argsort). */
export function firstAlong(x: Tensor, axis: number, k: number): Tensor {
  return index_(
    x,
    x.shape.map((_, i) => (i === axis ? { stop: k } : {})),
  );
}

function index_(x: Tensor, specs: { stop?: number }[]): Tensor {
  return index(x, ...specs);
}
