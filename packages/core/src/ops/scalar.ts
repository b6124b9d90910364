import { type DType, promoteTypes } from '../dtype.js';
import { Tensor } from '../tensor.js';
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
  const dtype = like ? scalarDType(x, like.dtype) : typeof x === 'boolean' ? 'bool' : 'float32';
  return full([], x, { dtype: dtype === 'bool' && typeof x === 'number' ? promoteTypes('int32', dtype) : dtype, device });
}
