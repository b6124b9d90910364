import { operators } from '../autograd/operators.js';
import type { Tensor } from '../tensor.js';

/*
 * relu's gradient is dy·sign(y) from its output y. A max pool over y can fold that mask into
 * its own gradient kernel (Backend.maxPool2dSignBackward), which then marks its result as
 * already masked by y; relu's rule passes such a gradient on as it is. When y has other
 * consumers the gradients are summed first (a new tensor, unmarked), and relu masks the sum:
 * the pool's share is then masked twice, which changes nothing, y being 0 or positive.
 */

const reluOutputs = new WeakSet<Tensor>();
const maskedBy = new WeakMap<Tensor, Tensor>();

/** Marks y as a relu output (every value 0, positive or NaN). */
export function markReluOutput(y: Tensor): void {
  reluOutputs.add(y);
}

export function isReluOutput(y: Tensor): boolean {
  return reluOutputs.has(y);
}

/** Marks g as a gradient already multiplied by sign(y). */
export function markMasked(g: Tensor, y: Tensor): void {
  maskedBy.set(g, y);
}

/** relu's gradient dy·sign(y) from its output y, skipping the pass when dy already carries it. */
export function reluGrad(dy: Tensor, y: Tensor): Tensor {
  return maskedBy.get(dy) === y ? dy : operators().mulSign(dy, y);
}
