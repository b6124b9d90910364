import { ones, random } from '@mge/core';
import { describe, expect, it } from 'vitest';
import * as F from '../src/index.js';

describe('channel dropout', () => {
  it('drops whole channels at the given rate and scales the kept ones', () => {
    random.seed(4);
    const y = F.dropout2d(ones([50, 40, 2, 2]), 0.25).dataSync();
    let dropped = 0;
    for (let ch = 0; ch < 50 * 40; ch++) {
      const v = y.slice(ch * 4, ch * 4 + 4);
      expect(new Set(v).size, 'a channel is all kept or all dropped').toBe(1);
      if (v[0] === 0) dropped++;
      else expect(v[0]).toBeCloseTo(1 / 0.75, 6);
    }
    expect(dropped / 2000).toBeGreaterThan(0.2);
    expect(dropped / 2000).toBeLessThan(0.3);
  });
  it('is the identity outside training, and checks its arguments', () => {
    const x = ones([2, 3, 4]);
    expect(F.dropout3d(x, 0.5, false)).toBe(x);
    expect(() => F.dropout2d(ones([3]), 0.5)).toThrow(/dropoutChannels: argument 'inp' must be at least 2-d \(N, C, …\), got \(3,\)/);
    expect(() => F.dropout2d(x, 1)).toThrow(/dropoutChannels: argument 'dropProb' must be in \[0, 1\), got 1/);
  });
});
