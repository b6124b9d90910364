/** DistributedSampler without MPI: explicit rank/worldSize. */
import { BatchSampler, RandomSampler } from '@mge/data';
import { describe, expect, it } from 'vitest';
import { DistributedSampler } from '../src/index.js';

describe('DistributedSampler', () => {
  it('shards each epoch disjointly and the shards together are the global order', () => {
    const world = 3;
    const samplers = Array.from({ length: world }, (_, rank) => new DistributedSampler(12, { seed: 5, rank, worldSize: world }));
    const global = new RandomSampler(12, { seed: 5 });
    for (let epoch = 0; epoch < 3; epoch++) {
      const g = Array.from(global.order());
      const shards = samplers.map((s) => Array.from(s.order()));
      for (const s of shards) expect(s).toHaveLength(4);
      // rank r holds g[r], g[r + world], ...: batch k of every rank is batch k of the global order
      shards.forEach((s, r) => {
        expect(s).toEqual(g.filter((_, i) => i % world === r));
      });
      expect(shards.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    }
  });

  it('pads by wrapping around (default) or drops the tail, and works with BatchSampler', () => {
    const pad = [0, 1, 2, 3].map((rank) => Array.from(new DistributedSampler(10, { shuffle: false, rank, worldSize: 4 }).order()));
    expect(pad).toEqual([
      [0, 4, 8],
      [1, 5, 9],
      [2, 6, 0],
      [3, 7, 1],
    ]);
    const drop = new DistributedSampler(10, { shuffle: false, rank: 1, worldSize: 4, dropLast: true });
    expect(drop.length).toBe(2);
    expect(Array.from(drop.order())).toEqual([1, 5]);
    const batches = new BatchSampler(new DistributedSampler(10, { shuffle: false, rank: 0, worldSize: 2 }), { batchSize: 2 }).batches();
    expect(batches.map((b) => Array.from(b))).toEqual([[0, 2], [4, 6], [8]]);
  });

  it('is a world of one outside mpirun', () => {
    const s = new DistributedSampler(5, { shuffle: false });
    expect([s.rank, s.worldSize, s.length]).toEqual([0, 1, 5]);
  });

  it('names bad arguments', () => {
    expect(() => new DistributedSampler(-1)).toThrow(/DistributedSampler: expected a dataset or a non-negative integer length, got -1/);
    expect(() => new DistributedSampler(4, { rank: 2, worldSize: 2 })).toThrow(/'rank' must be an integer in \[0, 2\), got 2/);
    expect(() => new DistributedSampler(4, { worldSize: 0 })).toThrow(/'worldSize' must be a positive integer, got 0/);
    expect(() => new DistributedSampler(4, { shuffle: 1 as never })).toThrow(/'shuffle' must be a boolean, got 1/);
  });
});
