/** Deferred conv/linear results (ops/fused.ts) behave like eager values. */
import { fusedConv2d, fusedLinear, memory, relu, type Tensor, tensor, tidy } from '@mge/core';
import { describe, expect, it } from 'vitest';

const values = async (t: Tensor) => Array.from(await t.data());

describe('deferred conv/linear results', () => {
  const x = () => tensor([1, -2, 3, -4], { shape: [1, 1, 2, 2] });
  const w = () => tensor([1, -1], { shape: [2, 1, 1, 1] });
  const b = () => tensor([0.5, 0.5], { shape: [1, 2, 1, 1] });
  const want = [1.5, -1.5, 3.5, -3.5, -0.5, 2.5, -2.5, 4.5];

  it('is computed by tidy before tidy disposes its inputs', async () => {
    const y = tidy(() => fusedConv2d(relu(relu(x())), w(), b()));
    expect(y.deferred).toBeNull();
    expect(await values(y)).toEqual([1.5, 0.5, 3.5, 0.5, -0.5, 0.5, -2.5, 0.5]);
  });

  it('is computed from its inputs as they were when one is disposed or replaced first', async () => {
    const xi = x();
    const wi = w();
    const y = fusedConv2d(xi, wi, b());
    xi.dispose();
    wi._reset(tensor([9, 9], { shape: [2, 1, 1, 1] }));
    expect(await values(y)).toEqual(want);
  });

  it('gives its inputs back when it is disposed before being computed', () => {
    const device = tensor([0]).device;
    const live = () => memory()[device].liveBuffers;
    const before = live();
    const xi = x();
    const y = fusedLinear(tensor([1, 2], { shape: [1, 2] }), tensor([3, 4], { shape: [1, 2] }));
    xi.dispose();
    y.dispose();
    expect(y.isDisposed).toBe(true);
    expect(() => y.ref('test')).toThrow('used after dispose()');
    // the two linear inputs are still referenced here (not collected), x is released
    expect(live() - before).toBe(2);
  });

  it('keeps the pre-activation usable after relu was fused into it', async () => {
    const y = fusedConv2d(x(), w(), b());
    const r = relu(y);
    expect(y.deferred).not.toBeNull();
    expect(await values(r)).toEqual(want.map((v) => Math.max(v, 0)));
    expect(await values(y)).toEqual(want);
  });

  it('says why when a fused pre-activation is read after its inputs were freed', () => {
    const xi = x();
    const y = fusedConv2d(xi, w(), b());
    relu(y);
    xi.dispose();
    expect(() => relu(y)).toThrow(/relu was fused into it; one of its inputs has since been freed/);
    expect(() => y.dataSync()).toThrow(/relu was fused into it; one of its inputs has since been freed/);
  });
});
