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
// By device, then dtype, then value: looked up without building a string key per use (a number's
// string form costs more than the lookup). A Map key treats −0 as 0, so −0 has its own key.
const scalars = new Map<string, Map<DType, Map<number | boolean | string, Tensor>>>();
let cached = 0;
const MAX_SCALARS = 1024;

function cachedScalar(x: number | boolean, dtype: DType, device = getDefaultDevice()): Tensor {
  let byDType = scalars.get(device);
  if (!byDType) {
    byDType = new Map();
    scalars.set(device, byDType);
  }
  let byValue = byDType.get(dtype);
  if (!byValue) {
    byValue = new Map();
    byDType.set(dtype, byValue);
  }
  const key = Object.is(x, -0) ? '-0' : x;
  const hit = byValue.get(key);
  if (hit && !hit.isDisposed) return hit;
  if (cached >= MAX_SCALARS) {
    for (const d of scalars.values()) for (const v of d.values()) v.clear();
    cached = 0;
  }
  const t = keep(full([], x, { dtype, device }));
  if (!hit) cached++;
  byValue.set(key, t);
  return t;
}
