import { operators } from '../autograd/operators.js';
import { recordOp } from '../autograd/tape.js';
import { promoteTypes } from '../dtype.js';
import { broadcastShapes, padShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { astype } from './cast.js';
import { zerosLike } from './creation.js';
import { assertTensor, runKernel } from './engine.js';
import { asTensor, type TensorLike } from './scalar.js';

/** Elementwise cond ? a : b, broadcasting all three. */
export function where(cond: Tensor, x: TensorLike, y: TensorLike): Tensor {
  assertTensor('where', cond, 'mask');
  const like = typeof x === 'object' ? x : typeof y === 'object' ? y : undefined;
  // scalar branches go to the mask's device, not the default one
  let a = asTensor('where', x, like, 'x', cond.device);
  let b = asTensor('where', y, a, 'y');
  const dtype = promoteTypes(a.dtype, b.dtype);
  a = astype(a, dtype);
  b = astype(b, dtype);
  const c = astype(cond, 'bool');
  const shape = broadcastShapes('where', broadcastShapes('where', c.shape, a.shape), b.shape);
  const r = (t: Tensor) => ({ ...t.ref('where'), shape: padShape(t.shape, shape.length) });
  const out = runKernel('where', [c, a, b], shape, dtype, (k) => k.where(r(c), r(a), r(b), shape));
  if (dtype === 'float32') {
    recordOp([c, a, b], out, (dy) => {
      const zero = zerosLike(dy);
      const { sumTo } = operators();
      return [null, sumTo(where(c, dy, zero), a.shape), sumTo(where(c, zero, dy), b.shape)];
    });
  }
  return out;
}
