import { recordOp } from '../autograd/tape.js';
import { type DType, isDType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { assertTensor, runKernel } from './engine.js';

/** MegEngine's astype. Gradients flow through float→float only. */
export function astype(x: Tensor, dtype: DType): Tensor {
  assertTensor('astype', x, 'x');
  if (!isDType(dtype)) throw new TypeError(`astype: argument 'dtype' must be 'float32', 'int32' or 'bool', got ${String(dtype)}`);
  if (x.dtype === dtype) return x;
  const y = runKernel('astype', [x], x.shape, dtype, (b) => b.cast(x.ref('astype'), dtype));
  if (dtype === 'float32') recordOp([x], y, () => [null]);
  return y;
}
