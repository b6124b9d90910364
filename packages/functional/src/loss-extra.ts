// Losses beyond the classification basics: smooth L1 (Huber), hinge, KL divergence.
import { abs, exp, lt, mean, mul, relu, shapeToString, sub, sum, Tensor, where } from '@mge/core';
import type { Reduction } from './loss.js';

function checkPair(op: string, pred: unknown, label: unknown): asserts pred is Tensor {
  for (const [arg, t] of [
    ['pred', pred],
    ['label', label],
  ] as const) {
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: argument '${arg}' must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  }
  const p = pred as Tensor;
  const l = label as Tensor;
  if (p.ndim !== l.ndim || p.shape.some((d, i) => d !== l.shape[i])) {
    throw new Error(`${op}: 'pred' ${shapeToString(p.shape)} and 'label' ${shapeToString(l.shape)} must have the same shape`);
  }
}

function reduce(op: string, loss: Tensor, reduction: string): Tensor {
  if (reduction === 'mean') return mean(loss);
  if (reduction === 'sum') return sum(loss);
  if (reduction === 'none') return loss;
  throw new TypeError(`${op}: option 'reduction' must be 'mean', 'sum' or 'none', got ${String(reduction)}`);
}

/** 0.5·d²/beta where |d| < beta, |d| − 0.5·beta elsewhere (beta 0 is the L1 loss). */
export function smoothL1Loss(pred: Tensor, label: Tensor, options: { beta?: number; reduction?: Reduction } = {}): Tensor {
  checkPair('smoothL1Loss', pred, label);
  const { beta = 1, reduction = 'mean' } = options;
  if (!(beta >= 0) || !Number.isFinite(beta)) throw new RangeError(`smoothL1Loss: option 'beta' must be a finite number ≥ 0, got ${beta}`);
  const d = abs(sub(pred, label));
  const loss = beta === 0 ? d : where(lt(d, beta), mul(mul(d, d), 0.5 / beta), sub(d, 0.5 * beta));
  return reduce('smoothL1Loss', loss, reduction);
}

/** Huber loss: beta·smoothL1 with threshold delta (torch's huber_loss). */
export function huberLoss(pred: Tensor, label: Tensor, options: { delta?: number; reduction?: Reduction } = {}): Tensor {
  checkPair('huberLoss', pred, label);
  const { delta = 1, reduction = 'mean' } = options;
  if (!(delta > 0) || !Number.isFinite(delta)) throw new RangeError(`huberLoss: option 'delta' must be a finite number > 0, got ${delta}`);
  const d = abs(sub(pred, label));
  return reduce('huberLoss', where(lt(d, delta), mul(mul(d, d), 0.5), mul(sub(d, 0.5 * delta), delta)), reduction);
}

/**
 * MegEngine's F.nn.hinge_loss: labels ±1, per-sample Σ over axis 1 of max(0, 1 − pred·label)
 * ('L1') or its square ('L2'), then reduced.
 */
export function hingeLoss(pred: Tensor, label: Tensor, norm: 'L1' | 'L2' = 'L1', reduction: Reduction = 'mean'): Tensor {
  checkPair('hingeLoss', pred, label);
  if (norm !== 'L1' && norm !== 'L2') throw new TypeError(`hingeLoss: argument 'norm' must be 'L1' or 'L2', got ${String(norm)}`);
  if (pred.ndim < 2) throw new Error(`hingeLoss: argument 'pred' must be at least 2-d (N, C), got ${shapeToString(pred.shape)}`);
  const margin = relu(sub(1, mul(pred, label.astype('float32'))));
  return reduce('hingeLoss', sum(norm === 'L1' ? margin : mul(margin, margin), 1), reduction);
}

/**
 * KL(label ‖ exp(pred)) with pred holding log-probabilities: Σ label·(log label − pred),
 * terms with label 0 counting 0. With logTarget, label holds log-probabilities too.
 * 'batchmean' divides the sum by the batch size (axis 0), the mathematically right mean.
 */
export function klDiv(pred: Tensor, label: Tensor, options: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}): Tensor {
  checkPair('klDiv', pred, label);
  const { reduction = 'mean', logTarget = false } = options;
  const loss = logTarget ? mul(exp(label), sub(label, pred)) : mul(label, sub(where(lt(0, label), label, 1).log(), pred)); // 0·log 0 counts 0
  if (reduction === 'batchmean') return pred.ndim === 0 ? sum(loss) : sum(loss).div(pred.shape[0]);
  return reduce('klDiv', loss, reduction);
}
