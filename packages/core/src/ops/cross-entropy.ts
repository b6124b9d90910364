import { noGrad, recordOp } from '../autograd/tape.js';
import type { SoftmaxRowsParams } from '../backend.js';
import { getBackend } from '../registry.js';
import { shapeToString } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, eq, sub } from './binary.js';
import { astype } from './cast.js';
import { arange } from './creation.js';
import { assertFloat, assertTensor, backendHasKernel, commonDevice, runKernel } from './engine.js';
import { unsqueeze } from './movement.js';
import { logsumexp, sum } from './reduce.js';
import { where } from './where.js';

/**
 * Per row of logits (N, C), −log softmax(logits)[label] for int32 labels (N): the loss of a
 * classifier or language model over its classes, with the gradient (softmax − onehot)·dloss
 * written out. One kernel each way where the backend has `softmaxCrossEntropy`, in place of
 * the dozen of log-softmax, one-hot and masking; elsewhere composed. A label outside [0, C)
 * gives NaN (callers such as functional's crossEntropy check labels first).
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const op = 'softmaxCrossEntropy';
  assertTensor(op, logits, 'logits');
  assertTensor(op, labels, 'labels');
  assertFloat(op, logits, 'logits');
  if (logits.ndim !== 2) throw new Error(`${op}: argument 'logits' must be 2-d (rows, classes), got shape ${shapeToString(logits.shape)}`);
  if (labels.dtype !== 'int32') throw new TypeError(`${op}: argument 'labels' must be int32, got ${labels.dtype}`);
  const [rows, cols] = logits.shape;
  if (labels.ndim !== 1 || labels.shape[0] !== rows)
    throw new Error(
      `${op}: argument 'labels' must have shape (${rows}) for logits ${shapeToString(logits.shape)}, got ${shapeToString(labels.shape)}`,
    );
  if (cols === 0) throw new Error(`${op}: argument 'logits' must have at least one class, got shape ${shapeToString(logits.shape)}`);
  const backend = getBackend(commonDevice(op, [logits, labels]));
  if (!backend.softmaxCrossEntropy || !backend.softmaxCrossEntropyBackward || !backendHasKernel(backend, op) || rows === 0) {
    // composed: logsumexp − the label's logit; a row without a class gets NaN
    const hit = eq(unsqueeze(labels, 1), arange(cols, undefined, 1, { dtype: 'int32', device: logits.device }));
    const picked = sum(where(hit, logits, 0), 1);
    const found = noGrad(() => sum(astype(hit, 'float32'), 1));
    return add(sub(logsumexp(logits, 1), picked), where(eq(found, 0), Number.NaN, 0));
  }
  const p: SoftmaxRowsParams = { rows, cols };
  const rx = logits.ref(op);
  const rl = labels.ref(op);
  const out = runKernel(op, [logits, labels], [rows], 'float32', (k) => k.softmaxCrossEntropy!(rx, rl, p));
  recordOp([logits], out, (dloss) => {
    const grad = 'softmaxCrossEntropyBackward';
    const rd = dloss.ref(grad);
    const rx2 = logits.ref(grad);
    const rl2 = labels.ref(grad);
    return [runKernel(grad, [logits, labels, dloss], logits.shape, 'float32', (k) => k.softmaxCrossEntropyBackward!(rx2, rl2, rd, p))];
  });
  return out;
}
