import { astype, gt, lt, mean, mul, shapeToString, sum, Tensor, unsqueeze } from '@mge/core';
import { oneHotAlong } from './onehot.js';

/**
 * MegEngine's F.topk_accuracy: the fraction of rows whose label is among the k
 * largest logits. A single k gives a scalar tensor; an array gives one per k.
 */
export function topkAccuracy(logits: Tensor, target: Tensor, topk: number): Tensor;
export function topkAccuracy(logits: Tensor, target: Tensor, topk: readonly number[]): Tensor[];
export function topkAccuracy(logits: Tensor, target: Tensor, topk: number | readonly number[] = 1): Tensor | Tensor[] {
  if (!(logits instanceof Tensor) || logits.ndim !== 2) {
    throw new Error(
      `topkAccuracy: argument 'logits' must be a 2-d Tensor (N, C), got ${logits instanceof Tensor ? shapeToString(logits.shape) : typeof logits}`,
    );
  }
  const ks = typeof topk === 'number' ? [topk] : [...topk];
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1 || k > logits.shape[1]) {
      throw new RangeError(`topkAccuracy: argument 'topk' must hold integers in [1, ${logits.shape[1]}], got ${k}`);
    }
  }
  const truth = sum(mul(logits, oneHotAlong('topkAccuracy', logits, target, 1)), 1);
  // a label is in the top k when fewer than k classes score strictly higher
  const higher = sum(astype(gt(logits, unsqueeze(truth, 1)), 'int32'), 1);
  const acc = ks.map((k) => mean(astype(lt(higher, k), 'float32')));
  return typeof topk === 'number' ? acc[0] : acc;
}
