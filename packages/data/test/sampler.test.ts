import { describe, expect, it } from 'vitest';
import { BatchSampler, Mulberry32, RandomSampler, SequentialSampler } from '../src/index.js';

const isPermutation = (order: Int32Array, n: number) =>
  Array.from(order)
    .sort((a, b) => a - b)
    .every((v, i) => v === i) && order.length === n;

describe('samplers', () => {
  it('SequentialSampler yields 0..n-1 every epoch', () => {
    const s = new SequentialSampler(5);
    expect([...s]).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(s.order())).toEqual([0, 1, 2, 3, 4]);
    expect(new SequentialSampler({ length: 3, get: () => 0 }).length).toBe(3);
  });

  it('RandomSampler: same seed, same sequence of epoch orders; each epoch a new permutation', () => {
    const a = new RandomSampler(1000, { seed: 42 });
    const b = new RandomSampler(1000, { seed: 42 });
    const a1 = a.order();
    const a2 = a.order();
    expect(isPermutation(a1, 1000)).toBe(true);
    expect(isPermutation(a2, 1000)).toBe(true);
    expect(Array.from(b.order())).toEqual(Array.from(a1));
    expect(Array.from(b.order())).toEqual(Array.from(a2));
    expect(Array.from(a2)).not.toEqual(Array.from(a1));
    expect(Array.from(new RandomSampler(1000, { seed: 43 }).order())).not.toEqual(Array.from(a1));
    // Not the identity: at most a handful of fixed points (about 1 expected).
    expect(a1.filter((v, i) => v === i).length).toBeLessThan(10);
  });

  it('RandomSampler is uniform: every index visits every position about equally often', () => {
    const n = 4;
    const epochs = 24_000;
    const s = new RandomSampler(n, { seed: 7 });
    const counts = Array.from({ length: n }, () => new Array(n).fill(0));
    for (let e = 0; e < epochs; e++) {
      s.order().forEach((v, pos) => {
        counts[v][pos]++;
      });
    }
    for (const row of counts) for (const c of row) expect(Math.abs(c - epochs / n)).toBeLessThan(300); // ~4 sigma
  });

  it('Mulberry32.nextBelow stays in range and covers it', () => {
    const r = new Mulberry32(1);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const v = r.nextBelow(7);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(7);
      seen.add(v);
    }
    expect(seen.size).toBe(7);
  });

  it('RandomSampler validates the seed', () => {
    expect(() => new RandomSampler(3, { seed: -1 })).toThrow('RandomSampler: seed must be an integer in [0, 2^32 - 1], got -1');
    expect(() => new RandomSampler(3, { seed: 1.5 })).toThrow(/got 1\.5/);
    expect(() => new RandomSampler('3' as unknown as number)).toThrow('RandomSampler: expected a dataset or a length, got "3"');
  });

  it('BatchSampler counts batches with and without dropLast', () => {
    const keep = new BatchSampler(new SequentialSampler(10), { batchSize: 4 });
    expect(keep.length).toBe(3);
    expect(keep.batches().map((b) => Array.from(b))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    const drop = new BatchSampler(new SequentialSampler(10), { batchSize: 4, dropLast: true });
    expect(drop.length).toBe(2);
    expect(drop.batches().map((b) => b.length)).toEqual([4, 4]);
    expect(new BatchSampler(new SequentialSampler(8), { batchSize: 4, dropLast: true }).length).toBe(2);
    expect(() => new BatchSampler(new SequentialSampler(8), { batchSize: 0 })).toThrow(
      'BatchSampler: batchSize must be a positive integer, got 0',
    );
  });
});
