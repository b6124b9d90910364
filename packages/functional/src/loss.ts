import {
  abs,
  add,
  astype,
  autodiff,
  exp,
  gt,
  log,
  mean,
  mul,
  neg,
  normalizeAxis,
  shapeToString,
  softmaxCrossEntropy,
  sub,
  sum,
  Tensor,
  unsqueeze,
  where,
} from '@mge/core';
import { softplus } from './activation.js';
import { logSoftmaxValues } from './log-softmax.js';
import { checkLabels, oneHotAlong } from './onehot.js';

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
  if (withLogits && labelSmooth === 0 && pred.dtype === 'float32' && label.dtype === 'int32' && axis === pred.ndim - 1) {
    // class indices along the last axis: core's softmaxCrossEntropy over (rows, classes), no one-hot
    const rows = pred.shape.slice(0, -1);
    if (label.ndim === rows.length && label.shape.every((d, i) => d === rows[i]) && checkLabels(op, label, pred.shape[axis])) {
      const loss = softmaxCrossEntropy(pred.reshape([-1, pred.shape[axis]]), label.reshape([-1])).reshape(rows);
      return reduce(op, loss, reduction);
    }
  }
  let target = oneHotAlong(op, pred, label, axis);
  if (labelSmooth > 0) target = add(mul(target, 1 - labelSmooth), labelSmooth / pred.shape[axis]);
  // A class with target 0 never enters the sum: 0·log(0) and 0·(−∞) would be NaN.
  const loss = withLogits
    ? new SoftmaxCrossEntropy(axis, target).call(astype(pred, 'float32'))
    : neg(sum(mul(target, log(where(gt(target, 0), pred, 1))), axis));
  return reduce(op, loss, reduction);
}

/**
 * Per-sample −Σ target·log_softmax(pred) along `axis`, with the gradient written out:
 * d pred = (softmax·Σtarget − target)·dloss — a handful of kernels where autograd
 * would chain back through every step of log-softmax.
 */
class SoftmaxCrossEntropy extends autodiff.Function {
  private logp: Tensor | null = null;
  constructor(
    private readonly axis: number,
    private readonly target: Tensor,
  ) {
    super();
  }
  forward(pred: Tensor): Tensor {
    this.logp = logSoftmaxValues(pred, this.axis);
    // a masked class (logit −∞) has log-probability −∞; with target 0 it adds nothing, not NaN
    return neg(sum(mul(this.target, where(gt(this.target, 0), this.logp, 0)), this.axis));
  }
  backward(dloss: Tensor): Tensor {
    const { axis, target } = this;
    // Σtarget is 1 per row for one-hot and smoothed labels; kept exact for rows that are not
    const softmaxScaled = mul(exp(this.logp as Tensor), sum(target, axis, true));
    return mul(sub(softmaxScaled, target), unsqueeze(dloss, axis));
  }
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
  const loss = withLogits ? sub(softplus(pred), mul(pred, y)) : neg(add(mul(y, log(pred)), mul(sub(1, y), log(sub(1, pred)))));
  return reduce('binaryCrossEntropy', loss, reduction);
}
