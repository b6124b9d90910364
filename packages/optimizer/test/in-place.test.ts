// An optimizer step between the forward pass and backward changes the weights in place:
// backward must refuse (naming the tensor) instead of returning the gradient at the new weights.
import { GradManager, Parameter } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { SGD } from '../src/index.js';

describe('optimizer step between forward and backward', () => {
  it('makes backward throw, naming the parameter', () => {
    const w = new Parameter([1, 2, 3]);
    const gm = new GradManager().attach(w);
    const opt = new SGD([w], { lr: 0.1 });
    gm.record();
    const loss1 = w.mul(w).sum();
    gm.backward(loss1);
    gm.record();
    const loss2 = w.mul(w).sum();
    opt.step(); // uses the gradient of loss1 and rewrites w
    expect(() => gm.backward(loss2)).toThrow(new RegExp(`Tensor\\(id=${w.id}, shape \\(3,\\)\\) was modified in place`));
  });
});
