import { type DType, promoteTypes } from '../dtype.js';
import { getDefaultDevice } from '../registry.js';
import { Tensor } from '../tensor.js';
import { keep } from '../tidy.js';
import { full } from './creation.js';

export type TensorLike = Tensor | number | boolean;

/** The dtype a Python-style scalar takes next to a tensor (NumPy's weak scalars). */
function scalarDType(v: number | boolean, other: DType): DType {
  if (typeof v === 'boolean') return other;
  if (other === 'float32' || !Number.isInteger(v)) return 'float32';
  return 'int32';
}

/** Turns scalars into 0-d tensors on `like`'s device, with NumPy's promotion. */
export function asTensor(op: string, x: TensorLike, like: Tensor | undefined, arg: string, device = like?.device): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== 'number' && typeof x !== 'boolean') {
    throw new TypeError(`${op}: argument '${arg}' must be a Tensor, number or boolean, got ${x === null ? 'null' : typeof x}`);
  }
  const inferred = like ? scalarDType(x, like.dtype) : typeof x === 'boolean' ? 'bool' : 'float32';
  const dtype = inferred === 'bool' && typeof x === 'number' ? promoteTypes('int32', inferred) : inferred;
  return cachedScalar(x, dtype, device);
}

/**
 * Scalars such as the 2 in `mul(x, 2)` recur in every training step; each new
 * device buffer would cost an upload and a finaliser, so they are made once.
 * They never carry gradients and are never handed to users.
 */
const scalars = new Map<string, Tensor>();
const MAX_SCALARS = 1024;

function cachedScalar(x: number | boolean, dtype: DType, device = getDefaultDevice()): Tensor {
  const key = `${device}|${dtype}|${Object.is(x, -0) ? '-0' : String(x)}`;
  const hit = scalars.get(key);
  if (hit && !hit.isDisposed) return hit;
  if (scalars.size >= MAX_SCALARS) scalars.clear();
  const t = keep(full([], x, { dtype, device }));
  scalars.set(key, t);
  return t;
}
