import { recordOp } from '../autograd/tape.js';
import type { MatmulParams } from '../backend.js';
import { broadcastShapes, shapesEqual, shapeToString, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, assertTensor, runKernel } from './engine.js';
import { broadcastTo, reshape } from './movement.js';
import { sumTo } from './reduce.js';

/**
 * MegEngine's F.matmul: matrix product of the last two axes, batch axes broadcast,
 * optional transposes; 1-D operands are promoted as in NumPy and the extra axis removed.
 */
export function matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  assertTensor('matmul', a, 'inp1');
  assertTensor('matmul', b, 'inp2');
  assertFloat('matmul', a, 'inp1');
  assertFloat('matmul', b, 'inp2');
  if (a.ndim === 0 || b.ndim === 0)
    throw new Error(`matmul: operands must be at least 1-d, got shapes ${shapeToString(a.shape)} and ${shapeToString(b.shape)}`);
  if (a.ndim === 1 || b.ndim === 1) {
    const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]]) : a;
    const b2 = b.ndim === 1 ? reshape(b, [b.shape[0], 1]) : b;
    const y = matmul(a2, b2, a.ndim === 1 ? false : transposeA, b.ndim === 1 ? false : transposeB);
    const shape = [...y.shape];
    if (b.ndim === 1) shape.splice(shape.length - 1, 1);
    if (a.ndim === 1) shape.splice(shape.length - (b.ndim === 1 ? 1 : 2), 1);
    return reshape(y, shape);
  }
  const [m, ka] = transposeA ? [a.shape[a.ndim - 1], a.shape[a.ndim - 2]] : [a.shape[a.ndim - 2], a.shape[a.ndim - 1]];
  const [kb, n] = transposeB ? [b.shape[b.ndim - 1], b.shape[b.ndim - 2]] : [b.shape[b.ndim - 2], b.shape[b.ndim - 1]];
  if (ka !== kb) {
    throw new Error(
      `matmul: inner dimensions differ: inp1 ${shapeToString(a.shape)}${transposeA ? 'ᵀ' : ''} has ${ka} columns, inp2 ${shapeToString(b.shape)}${transposeB ? 'ᵀ' : ''} has ${kb} rows`,
    );
  }
  const batchShape = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = sizeOf(batchShape);
  const fitBatch = (x: Tensor): [Tensor, number] => {
    const xb = x.shape.slice(0, -2);
    if (sizeOf(xb) === 1) return [x, 1];
    if (shapesEqual(xb, batchShape)) return [x, batch];
    return [broadcastTo(x, [...batchShape, ...x.shape.slice(-2)]), batch];
  };
  const [af, batchA] = fitBatch(a);
  const [bf, batchB] = fitBatch(b);
  const p: MatmulParams = { batch, m, n, k: ka, transA: transposeA, transB: transposeB, batchA, batchB };
  const out = runKernel('matmul', [af, bf], [...batchShape, m, n], 'float32', (kern) => kern.matmul(af.ref('matmul'), bf.ref('matmul'), p));
  recordOp([a, b], out, (dy, needs) => matmulGrads(a, b, dy, transposeA, transposeB, needs));
  return out;
}

/** The gradients of matmul(a, b, transposeA, transposeB), each only when needed. */
export function matmulGrads(
  a: Tensor,
  b: Tensor,
  dy: Tensor,
  transposeA: boolean,
  transposeB: boolean,
  needs: readonly boolean[],
): (Tensor | null)[] {
  const da = !needs[0] ? null : transposeA ? matmul(b, dy, transposeB, true) : matmul(dy, b, false, !transposeB);
  const db = !needs[1] ? null : transposeB ? matmul(dy, a, true, transposeA) : matmul(a, dy, !transposeA, false);
  return [da && sumTo(da, a.shape), db && sumTo(db, b.shape)];
}
