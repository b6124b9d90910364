/** tidy(), keep() and dispose(): explicit memory management on top of the garbage collector. */
import { add, exp, keep, memory, mul, ones, type Tensor, tensor, tidy } from '@mge/core';
import { describe, expect, it } from 'vitest';

const liveBuffers = () => memory().js.liveBuffers;

describe('tidy and dispose', () => {
  it('tidy frees every intermediate and keeps what fn returns', () => {
    const x = ones([8]);
    const before = liveBuffers();
    const y = tidy(() => mul(add(x, x), exp(x)));
    expect(liveBuffers()).toBe(before + 1);
    expect(y.isDisposed).toBe(false);
    expect(x.isDisposed).toBe(false);
    expect(y.dataSync()[0]).toBeCloseTo(2 * Math.E, 5);
  });

  it('keeps tensors returned in arrays, Maps and plain objects', () => {
    const x = ones([2]);
    const before = liveBuffers();
    const r = tidy(() => {
      const a = add(x, x);
      const b = mul(a, a);
      return { list: [a], map: new Map([['b', b]]) };
    });
    expect(liveBuffers()).toBe(before + 2);
    expect(Array.from(r.map.get('b')!.dataSync())).toEqual([4, 4]);
    expect(r.list[0].isDisposed).toBe(false);
  });

  it('keep() protects a tensor; nested tidy hands results to the outer scope', () => {
    const before = liveBuffers();
    let kept: Tensor | undefined;
    let inner: Tensor | undefined;
    const outer = tidy(() => {
      kept = keep(ones([3]));
      inner = tidy(() => add(ones([3]), ones([3])));
      add(inner, inner); // garbage of the outer scope
      return add(inner, kept);
    });
    expect(kept!.isDisposed).toBe(false);
    expect(inner!.isDisposed).toBe(true); // the inner result belonged to the outer scope, which did not return it
    expect(Array.from(outer.dataSync())).toEqual([3, 3, 3]);
    expect(liveBuffers()).toBe(before + 2);
  });

  it('tidy frees everything made inside when fn throws, and refuses async functions', () => {
    const before = liveBuffers();
    expect(() =>
      tidy(() => {
        ones([4]);
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(() => tidy((async () => ones([1])) as never)).toThrow(/tidy: fn must be synchronous/);
    expect(() => tidy(3 as never)).toThrow(/tidy: argument 'fn' must be a function, got number/);
    expect(liveBuffers()).toBe(before);
  });

  it('dispose frees at once, twice is harmless, and use after dispose names the operator', () => {
    const t = tensor([1, 2, 3]);
    const before = memory().js;
    t.dispose();
    t.dispose();
    expect(memory().js.liveBuffers).toBe(before.liveBuffers - 1);
    expect(memory().js.liveBytes).toBe(before.liveBytes - 12);
    expect(t.isDisposed).toBe(true);
    expect(() => add(t, 1)).toThrow(/add: a tensor of shape \(3,\) was used after dispose\(\)/);
    expect(() => t.dataSync()).toThrow(/dataSync: .*after dispose/);
  });

  it('a reshape keeps the shared buffer alive until both are disposed', () => {
    const t = tensor([1, 2, 3, 4]);
    const v = t.reshape(2, 2);
    const before = liveBuffers();
    t.dispose();
    expect(liveBuffers()).toBe(before);
    expect(Array.from(v.dataSync())).toEqual([1, 2, 3, 4]);
    v.dispose();
    expect(liveBuffers()).toBe(before - 1);
  });
});
