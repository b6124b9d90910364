import { autodiff, mul, type Tensor, Tensor as TensorClass, tensor } from '@mge/core';
import { commOf, type Group } from './group.js';
import { loadMpi } from './native.js';

/**
 * MegEngine's distributed.functional collectives over MPI_COMM_WORLD. Each reads the host values
 * of a float32, int32 or bool tensor (bool: max is OR, min is AND; no sums) on a synchronously readable device (js, cpu) and returns a new
 * tensor on the same device; every rank of the group (default: all ranks) must call the same
 * collectives in the same order with tensors of the same shape and dtype.
 *
 * On float32 inputs the sum, mean, broadcast, gather and scatter are differentiable (as in
 * MegEngine): their backward passes are collectives too, so every rank must run backward.
 */

const SUM = 0;
const MAX = 1;
const MIN = 2;

type Host = Float32Array | Int32Array | Uint8Array;

/** bool is refused by the sums: a sum of booleans is not a boolean (cast to int32 first). */
function hostValues(op: string, t: Tensor, allowBool = true): Host {
  if (!(t instanceof TensorClass)) throw new TypeError(`${op}: argument 'inp' must be a Tensor, got ${String(t)}`);
  if (t.dtype !== 'float32' && t.dtype !== 'int32' && !(allowBool && t.dtype === 'bool')) {
    throw new TypeError(
      `${op}: argument 'inp' must have dtype float32 or int32${allowBool ? ' or bool' : ''}, got ${t.dtype}${t.dtype === 'bool' ? ' (cast it to int32 to sum)' : ''}`,
    );
  }
  if (!t.backend.readSync) {
    throw new Error(`${op}: device '${t.device}' cannot be read synchronously; move the tensor to 'cpu' or 'js' first`);
  }
  // dataSync gives a copy that this module owns and MPI may overwrite in place
  return t.dataSync() as Host;
}

function like(t: Tensor, values: Host, shape: readonly number[] = t.shape): Tensor {
  return tensor(values, { shape, dtype: t.dtype, device: t.device });
}

function allReduce(name: string, inp: Tensor, op: number, group: Group | undefined): Tensor {
  const buf = hostValues(name, inp, op !== SUM);
  const { handle } = commOf(name, group);
  loadMpi(name).allReduce(buf, op, handle);
  return like(inp, buf);
}

/** The elementwise sum over ranks. */
function rawAllReduceSum(inp: Tensor, group?: Group): Tensor {
  return allReduce('allReduceSum', inp, SUM, group);
}

/** The elementwise maximum over ranks. */
export function allReduceMax(inp: Tensor, group?: Group): Tensor {
  return allReduce('allReduceMax', inp, MAX, group);
}

/** The elementwise minimum over ranks. */
export function allReduceMin(inp: Tensor, group?: Group): Tensor {
  return allReduce('allReduceMin', inp, MIN, group);
}

/** The elementwise mean over ranks (float32 only: an int32 mean would round). */
function rawAllReduceMean(inp: Tensor, group?: Group): Tensor {
  if (inp instanceof TensorClass && inp.dtype !== 'float32') {
    throw new TypeError(`allReduceMean: argument 'inp' must have dtype float32, got ${inp.dtype}; use allReduceSum for integers`);
  }
  const buf = hostValues('allReduceMean', inp) as Float32Array;
  const { size, handle } = commOf('allReduceMean', group);
  loadMpi('allReduceMean').allReduce(buf, SUM, handle);
  for (let i = 0; i < buf.length; i++) buf[i] /= size;
  return like(inp, buf);
}

/** Every member receives the values of world rank `root` (a member; the shapes must already agree). */
function rawBroadcast(inp: Tensor, root = 0, group?: Group): Tensor {
  const buf = hostValues('broadcast', inp);
  const { handle, ranks } = commOf('broadcast', group);
  const local = ranks.indexOf(root);
  if (!Number.isInteger(root) || local < 0) {
    throw new RangeError(`broadcast: argument 'root' must be a rank of the group [${ranks.join(', ')}], got ${String(root)}`);
  }
  loadMpi('broadcast').broadcast(buf, local, handle);
  return like(inp, buf);
}

/** The members' tensors concatenated along axis 0, in group order (a 0-d input gives shape [worldSize]). */
function rawAllGather(inp: Tensor, group?: Group): Tensor {
  const buf = hostValues('allGather', inp);
  const { size, handle } = commOf('allGather', group);
  const out = new (buf.constructor as new (n: number) => Host)(buf.length * size);
  loadMpi('allGather').allGather(buf, out, handle);
  const shape = inp.ndim === 0 ? [size] : [inp.shape[0] * size, ...inp.shape.slice(1)];
  return like(inp, out, shape);
}

/** Sums over the members, then the member of group index i keeps the i-th of size equal slices along axis 0. */
function rawReduceScatterSum(inp: Tensor, group?: Group): Tensor {
  const buf = hostValues('reduceScatterSum', inp, false);
  const { size, handle } = commOf('reduceScatterSum', group);
  if (inp.ndim === 0 || inp.shape[0] % size !== 0) {
    throw new RangeError(
      `reduceScatterSum: argument 'inp' must have a first dimension divisible by the group size ${size}, got shape [${inp.shape.join(', ')}]`,
    );
  }
  const n = buf.length / size;
  const out = new (buf.constructor as new (n: number) => Host)(n);
  loadMpi('reduceScatterSum').reduceScatter(buf, out, SUM, handle);
  return like(inp, out, [inp.shape[0] / size, ...inp.shape.slice(1)]);
}

/** One collective as an autograd operator: forward and backward given as collectives. */
class Collective extends autodiff.Function {
  constructor(
    private readonly fwd: (x: Tensor) => Tensor,
    private readonly bwd: (dy: Tensor) => Tensor,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.fwd(x);
  }
  backward(dy: Tensor): Tensor {
    return this.bwd(dy);
  }
}

function differentiable(inp: Tensor, fwd: (x: Tensor) => Tensor, bwd: (dy: Tensor) => Tensor): Tensor {
  // int32 has no gradient; a non-Tensor is left for fwd to name
  if (!(inp instanceof TensorClass) || inp.dtype !== 'float32') return fwd(inp);
  return new Collective(fwd, bwd).call(inp);
}

/** The elementwise sum over ranks; its gradient is the sum over ranks of the output gradients. */
export function allReduceSum(inp: Tensor, group?: Group): Tensor {
  const f = (x: Tensor) => rawAllReduceSum(x, group);
  return differentiable(inp, f, f);
}

/** The elementwise mean over ranks (float32 only: an int32 mean would round). */
export function allReduceMean(inp: Tensor, group?: Group): Tensor {
  const f = (x: Tensor) => rawAllReduceMean(x, group);
  return differentiable(inp, f, f);
}

/** Every member receives the values of world rank `root` (a member; the shapes must already agree). Only root's input gets a gradient: the sum of all output gradients. */
export function broadcast(inp: Tensor, root = 0, group?: Group): Tensor {
  return differentiable(
    inp,
    (x) => rawBroadcast(x, root, group),
    (dy) => {
      const total = rawAllReduceSum(dy, group);
      return commOf('broadcast', group).ranks[commOf('broadcast', group).rank] === root ? total : mul(total, 0);
    },
  );
}

/** The members' tensors concatenated along axis 0, in group order (a 0-d input gives shape [size]); the gradient is reduceScatterSum of the output gradient. */
export function allGather(inp: Tensor, group?: Group): Tensor {
  return differentiable(
    inp,
    (x) => rawAllGather(x, group),
    (dy) => {
      const g = rawReduceScatterSum(dy, group);
      return inp.ndim === 0 ? g.reshape([]) : g;
    },
  );
}

/** Sums over the members, then the member of group index i keeps the i-th of size equal slices along axis 0; the gradient is allGather of the output gradient. */
export function reduceScatterSum(inp: Tensor, group?: Group): Tensor {
  return differentiable(
    inp,
    (x) => rawReduceScatterSum(x, group),
    (dy) => rawAllGather(dy, group),
  );
}
