/** A tensor changed in place between the forward pass and backward is an error, never a wrong gradient. */
import { GradManager, Parameter, tensor } from '@mge/core';
import { describe, expect, it } from 'vitest';

describe('version counter on tensors backward needs', () => {
  it('setValue between forward and backward is refused, naming the tensor', () => {
    const w = new Parameter([1, 2, 3]);
    const gm = new GradManager().attach(w);
    gm.record();
    const loss = w.mul(w).sum();
    w.setValue(tensor([10, 20, 30]));
    expect(() => gm.backward(loss)).toThrow(new RegExp(`Tensor\\(id=${w.id}, shape \\(3,\\)\\) was modified in place`));
    expect(w.grad).toBeNull();
    expect(gm.isRecording).toBe(false);
  });
  it('an optimizer-style update (_reset) between forward and backward is refused', () => {
    const w = new Parameter([1, 2, 3]);
    const gm = new GradManager().attach(w);
    gm.record();
    const loss = w.mul(w).sum();
    w._reset(w.sub(tensor([0.1, 0.1, 0.1])));
    expect(() => gm.backward(loss)).toThrow(/modified in place/);
  });
  it('without an in-place change the gradient is 2w, and changing w after backward is fine', () => {
    const w = new Parameter([1, 2, 3]);
    const gm = new GradManager().attach(w);
    gm.record();
    gm.backward(w.mul(w).sum());
    expect(Array.from(w.grad!.dataSync())).toEqual([2, 4, 6]);
    w.setValue(tensor([10, 20, 30]));
    gm.record();
    w.grad = null;
    gm.backward(w.mul(w).sum());
    expect(Array.from(w.grad!.dataSync())).toEqual([20, 40, 60]);
  });
  it('a view taken before the change keeps the old value, so its history stays valid', () => {
    const w = new Parameter([1, 2, 3]);
    const gm = new GradManager().attach(w);
    gm.record();
    const v = w.reshape(3);
    const loss = v.mul(v).sum();
    const other = tensor([0, 0, 0]);
    other.setValue(tensor([1, 1, 1])); // unrelated tensors may change
    gm.backward(loss);
    expect(Array.from(w.grad!.dataSync())).toEqual([2, 4, 6]);
  });
});
