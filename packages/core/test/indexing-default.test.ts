// The composed defaults that backends without gather/scatterAdd/argsort kernels run,
// checked against the js kernels on the same inputs.
import { describe, expect, it } from 'vitest';
import { random, tensor } from '../src/index.js';
import { argsort, gather, scatterAdd, topkIndices } from '../src/ops/indexing.js';
import { argsortDefault, firstAlong, gatherDefault, scatterAddDefault } from '../src/ops/indexing-default.js';

describe('composed indexing defaults match the js kernels', () => {
  random.seed(5);
  const x = random.normal(0, 1, [3, 4, 5]);
  const idx = tensor(
    Int32Array.from({ length: 2 * 6 * 4 }, (_, i) => (i * 5 + 3) % 4),
    { shape: [2, 6, 4] },
  );
  const src = random.normal(0, 1, [2, 6, 4]);

  it('gather', () => {
    expect(gatherDefault(x, idx, 1).dataSync()).toEqual(gather(x, 1, idx).dataSync());
  });
  it('scatterAdd', () => {
    const a = scatterAddDefault(x, idx, src, 1).dataSync();
    const b = scatterAdd(x, 1, idx, src).dataSync();
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
  });
  it('argsort, both directions, with ties', () => {
    const t = tensor([3, 1, 2, 1, 3, 0, 2, 2], { shape: [2, 4] });
    for (const d of [false, true]) {
      expect(argsortDefault(t, 1, d).dataSync()).toEqual(argsort(t, d, 1).dataSync());
      expect(argsortDefault(x, 0, d).dataSync()).toEqual(argsort(x, d, 0).dataSync());
    }
  });
  it('topk: the js partial selection equals the first k of argsort (small and large k, NaN last)', () => {
    random.seed(6);
    const wide = random.normal(0, 1, [3, 50, 2]);
    const withNaN = tensor([2, Number.NaN, -1, 2, 0, Number.NaN, 7, 2, 2, -1, 0, 0, 0, 5, 1, 2, 3, 4], { shape: [18] });
    for (const d of [false, true]) {
      for (const k of [1, 3, 6, 40, 50])
        expect(topkIndices(wide, k, d, 1).dataSync()).toEqual(firstAlong(argsort(wide, d, 1), 1, k).dataSync());
      for (const k of [1, 2, 5, 17, 18])
        expect(topkIndices(withNaN, k, d).dataSync()).toEqual(firstAlong(argsort(withNaN, d), 0, k).dataSync());
    }
    expect(() => topkIndices(wide, 0, false, 1)).toThrow(
      /topkIndices: argument 'k' must be an integer in \[1, 50\] for inp \(3, 50, 2\), got 0/,
    );
    expect(() => topkIndices(wide, 3, false, 3)).toThrow(/topkIndices/);
  });
  it('bad arguments name the function, the argument, the expectation and the value', () => {
    expect(() => gather(x, 1, tensor([0, 1]))).toThrow(/gather: argument 'index' must be int32, got float32/);
    expect(() => gather(x, 1, tensor(Int32Array.from([0, 9, 0]), { shape: [1, 1, 3] }))).toThrow(
      /gather: argument 'index' must hold values in \[0, 3\].*got 9/,
    );
    expect(() => gather(x, 5, idx)).toThrow(/gather/);
    expect(() => scatterAdd(x, 1, idx, x)).toThrow(/scatterAdd: argument 'source' must have index's shape/);
  });
});
