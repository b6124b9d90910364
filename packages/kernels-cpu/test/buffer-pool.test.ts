import type { DataArray, DType } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../src/buffer-pool.js';

const make = (_dtype: DType, size: number): DataArray => new Float32Array(size);

describe('BufferPool', () => {
  it("keeps the running workload's buffers past the bound, up to twice it", () => {
    const pool = new BufferPool(4000, make); // 1,000 floats; recent = the last 1,000 bytes taken
    const bufs = [0, 1, 2, 3, 4, 5, 6, 7].map(() => pool.take('float32', 200)); // 800 B each
    for (const b of bufs.slice(0, 5)) pool.give('float32', b);
    expect(pool.pooledBytes).toBe(4000); // the bound
    for (const b of bufs.slice(5)) pool.give('float32', b); // a burst of the same recent shape
    expect(pool.pooledBytes).toBe(6400); // kept past the bound, under twice it
    const extra = [0, 1, 2].map(() => new Float32Array(200));
    for (const b of extra) pool.give('float32', b);
    expect(pool.pooledBytes).toBe(8000); // twice the bound: the rest goes to the GC
  });
  it('turns away and evicts shapes not asked for recently, as before', () => {
    const pool = new BufferPool(4000, make);
    const old = [0, 1, 2, 3].map(() => pool.take('float32', 250)); // 1,000 B each
    for (let i = 0; i < 10; i++) pool.give('float32', pool.take('float32', 10));
    for (let i = 0; i < 20; i++) pool.give('float32', pool.take('float32', 100)); // 8,000 B since: the 250s are stale
    for (const b of old) pool.give('float32', b);
    expect(pool.pooledBytes).toBe(440 + 3000); // the fourth stale one is turned away at the bound
    const recent = [0, 1, 2].map(() => pool.take('float32', 100)); // one from the pool, two new
    for (const b of recent) pool.give('float32', b); // the third is over the bound: a stale 250 makes room
    expect(pool.pooledBytes).toBe(40 + 2000 + 1200);
    const again = [0, 1, 2].map(() => pool.take('float32', 250));
    expect(again.filter((b) => old.includes(b)).length).toBe(2);
  });
});
