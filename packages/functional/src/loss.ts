import { abs, add, log, mean, mul, neg, normalizeAxis, shapeToString, sub, sum, Tensor } from '@mge/core';
import { logSoftmax, softplus } from './activation.js';
import { oneHotAlong } from './onehot.js';

export type Reduction = 'mean' | 'sum' | 'none';

function reduce(op: string, loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'mean') return mean(loss);
  if (reduction === 'sum') return sum(loss);
  if (reduction === 'none') return loss;
  throw new TypeError(`${op}: option 'reduction' must be 'mean', 'sum' or 'none', got ${String(reduction)}`);
}

function checkTensor(op: string, x: unknown, arg: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: argument '${arg}' must be a Tensor, got ${x === null ? 'null' : typeof x}`);
}

export interface CrossEntropyOptions {
  axis?: number;
  withLogits?: boolean;
  labelSmooth?: number;
  reduction?: Reduction;
}

/**
 * MegEngine's F.nn.cross_entropy: pred holds logits (or probabilities when
 * withLogits is false) along `axis`, label holds class indices.
 */
export function crossEntropy(pred: Tensor, label: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  checkTensor(op, pred, 'pred');
  checkTensor(op, label, 'label');
  const { withLogits = true, labelSmooth = 0, reduction = 'mean' } = options;
  if (pred.ndim < 1) throw new Error(`${op}: argument 'pred' must be at least 1-d, got ${shapeToString(pred.shape)}`);
  const axis = normalizeAxis(op, options.axis ?? 1, pred.ndim);
  if (!(labelSmooth >= 0 && labelSmooth <= 1)) throw new RangeError(`${op}: option 'labelSmooth' must be in [0, 1], got ${labelSmooth}`);
  const logp = withLogits ? logSoftmax(pred, axis) : log(pred);
  let target = oneHotAlong(op, pred, label, axis);
  if (labelSmooth > 0) target = add(mul(target, 1 - labelSmooth), labelSmooth / pred.shape[axis]);
  return reduce(op, neg(sum(mul(target, logp), axis)), reduction);
}

/** Negative log-likelihood of log-probabilities along axis 1. */
export function nllLoss(pred: Tensor, label: Tensor, reduction: Reduction = 'mean'): Tensor {
  checkTensor('nllLoss', pred, 'pred');
  checkTensor('nllLoss', label, 'label');
  return reduce('nllLoss', neg(sum(mul(oneHotAlong('nllLoss', pred, label, 1), pred), 1)), reduction);
}

function checkSameShape(op: string, pred: Tensor, label: Tensor): void {
  checkTensor(op, pred, 'pred');
  checkTensor(op, label, 'label');
  if (pred.shape.length !== label.shape.length || pred.shape.some((d, i) => d !== label.shape[i])) {
    throw new Error(`${op}: 'pred' ${shapeToString(pred.shape)} and 'label' ${shapeToString(label.shape)} must have the same shape`);
  }
}

export function mseLoss(pred: Tensor, label: Tensor, reduction: Reduction = 'mean'): Tensor {
  checkSameShape('mseLoss', pred, label);
  const d = sub(pred, label);
  return reduce('mseLoss', mul(d, d), reduction);
}
export const squareLoss = mseLoss;

export function l1Loss(pred: Tensor, label: Tensor, reduction: Reduction = 'mean'): Tensor {
  checkSameShape('l1Loss', pred, label);
  return reduce('l1Loss', abs(sub(pred, label)), reduction);
}

/** MegEngine's F.nn.binary_cross_entropy; with logits it is computed stably as softplus(x) − x·y. */
export function binaryCrossEntropy(pred: Tensor, label: Tensor, options: { withLogits?: boolean; reduction?: Reduction } = {}): Tensor {
  checkSameShape('binaryCrossEntropy', pred, label);
  const { withLogits = true, reduction = 'mean' } = options;
  const y = label.astype('float32');
  const loss = withLogits
    ? sub(softplus(pred), mul(pred, y))
    : neg(add(mul(y, log(pred)), mul(sub(1, y), log(sub(1, pred)))));
  return reduce('binaryCrossEntropy', loss, reduction);
}
