import { type Tensor, Tensor as TensorClass, tensor } from '@mge/core';
import { loadMpi } from './native.js';
import { requireWorld } from './world.js';

/**
 * MegEngine's distributed.functional collectives over MPI_COMM_WORLD. Each reads the host values
 * of a float32 or int32 tensor on a synchronously readable device (js, cpu) and returns a new
 * tensor on the same device; every rank must call the same collectives in the same order with
 * tensors of the same shape and dtype.
 */

const SUM = 0;
const MAX = 1;
const MIN = 2;

function hostValues(op: string, t: Tensor): Float32Array | Int32Array {
  if (!(t instanceof TensorClass)) throw new TypeError(`${op}: argument 'inp' must be a Tensor, got ${String(t)}`);
  if (t.dtype !== 'float32' && t.dtype !== 'int32') {
    throw new TypeError(`${op}: argument 'inp' must have dtype float32 or int32, got ${t.dtype}`);
  }
  if (!t.backend.readSync) {
    throw new Error(`${op}: device '${t.device}' cannot be read synchronously; move the tensor to 'cpu' or 'js' first`);
  }
  // dataSync gives a copy that this module owns and MPI may overwrite in place
  return t.dataSync() as Float32Array | Int32Array;
}

function like(t: Tensor, values: Float32Array | Int32Array, shape: readonly number[] = t.shape): Tensor {
  return tensor(values, { shape, dtype: t.dtype, device: t.device });
}

function allReduce(name: string, inp: Tensor, op: number): Tensor {
  const buf = hostValues(name, inp);
  requireWorld(name);
  loadMpi(name).allReduce(buf, op);
  return like(inp, buf);
}

/** The elementwise sum over ranks. */
export function allReduceSum(inp: Tensor): Tensor {
  return allReduce('allReduceSum', inp, SUM);
}

/** The elementwise maximum over ranks. */
export function allReduceMax(inp: Tensor): Tensor {
  return allReduce('allReduceMax', inp, MAX);
}

/** The elementwise minimum over ranks. */
export function allReduceMin(inp: Tensor): Tensor {
  return allReduce('allReduceMin', inp, MIN);
}

/** The elementwise mean over ranks (float32 only: an int32 mean would round). */
export function allReduceMean(inp: Tensor): Tensor {
  if (inp instanceof TensorClass && inp.dtype !== 'float32') {
    throw new TypeError(`allReduceMean: argument 'inp' must have dtype float32, got ${inp.dtype}; use allReduceSum for integers`);
  }
  const buf = hostValues('allReduceMean', inp) as Float32Array;
  const { size } = requireWorld('allReduceMean');
  loadMpi('allReduceMean').allReduce(buf, SUM);
  for (let i = 0; i < buf.length; i++) buf[i] /= size;
  return like(inp, buf);
}

function checkRoot(op: string, root: number, size: number): void {
  if (!Number.isInteger(root) || root < 0 || root >= size) {
    throw new RangeError(`${op}: argument 'root' must be an integer rank in [0, ${size}), got ${String(root)}`);
  }
}

/** Every rank receives root's values (the shapes must already agree). */
export function broadcast(inp: Tensor, root = 0): Tensor {
  const buf = hostValues('broadcast', inp);
  const { size } = requireWorld('broadcast');
  checkRoot('broadcast', root, size);
  loadMpi('broadcast').broadcast(buf, root);
  return like(inp, buf);
}

/** The ranks' tensors concatenated along axis 0, rank 0 first (a 0-d input gives shape [worldSize]). */
export function allGather(inp: Tensor): Tensor {
  const buf = hostValues('allGather', inp);
  const { size } = requireWorld('allGather');
  const out = buf instanceof Float32Array ? new Float32Array(buf.length * size) : new Int32Array(buf.length * size);
  loadMpi('allGather').allGather(buf, out);
  const shape = inp.ndim === 0 ? [size] : [inp.shape[0] * size, ...inp.shape.slice(1)];
  return like(inp, out, shape);
}

/** Sums over ranks, then rank r keeps the r-th of worldSize equal slices along axis 0. */
export function reduceScatterSum(inp: Tensor): Tensor {
  const buf = hostValues('reduceScatterSum', inp);
  const { size } = requireWorld('reduceScatterSum');
  if (inp.ndim === 0 || inp.shape[0] % size !== 0) {
    throw new RangeError(
      `reduceScatterSum: argument 'inp' must have a first dimension divisible by the world size ${size}, got shape [${inp.shape.join(', ')}]`,
    );
  }
  const n = buf.length / size;
  const out = buf instanceof Float32Array ? new Float32Array(n) : new Int32Array(n);
  loadMpi('reduceScatterSum').reduceScatter(buf, out, SUM);
  return like(inp, out, [inp.shape[0] / size, ...inp.shape.slice(1)]);
}
