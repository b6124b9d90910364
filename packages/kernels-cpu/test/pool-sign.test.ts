import type { Pool2dParams } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { cpu, randomPair } from './helpers.js';

function pool(n: number, c: number, h: number, w: number, k: number, s: number, pad = 0): Pool2dParams {
  const oh = Math.floor((h + 2 * pad - k) / s) + 1;
  const ow = Math.floor((w + 2 * pad - k) / s) + 1;
  return { n, c, h, w, kh: k, kw: k, oh, ow, sh: s, sw: s, ph: pad, pw: pad };
}

// relu's gradient folded into the max pool's: one kernel equal, bit for bit (signed zeros and NaNs
// included), to the two it replaces.
describe('maxPool2dSignBackward', () => {
  it('equals mulSign(pool2dBackward(max)) on NaN, ±Inf, ±0, ties and negatives', () => {
    let seed = 40;
    // 2×2/2: whole SIMD groups, an overlapping last group with an uncovered row and column,
    // a row narrower than a group; then generic windows
    for (const p of [
      pool(2, 3, 6, 8, 2, 2),
      pool(2, 3, 11, 13, 2, 2),
      pool(1, 2, 5, 7, 2, 2),
      pool(64, 6, 28, 28, 2, 2),
      pool(1, 2, 7, 9, 3, 2, 1),
    ]) {
      for (const gen of ['special', 'normal'] as const) {
        const x = randomPair('float32', [p.n, p.c, p.h, p.w], gen, seed++);
        const dy = randomPair('float32', [p.n, p.c, p.oh, p.ow], 'normal', seed++);
        const size = p.n * p.c * p.h * p.w;
        const g = cpu.pool2dBackward('max', x.c, dy.c, p);
        const want = cpu.readSync(cpu.mulSign!({ buf: g, shape: x.c.shape, dtype: 'float32' }, x.c), 'float32', size);
        const got = cpu.readSync(cpu.maxPool2dSignBackward(x.c, dy.c, p), 'float32', size);
        let bad = -1;
        for (let i = 0; i < size && bad < 0; i++) if (!Object.is(got[i], want[i])) bad = i;
        expect(bad < 0 ? 'equal' : `element ${bad}: ${got[bad]} vs ${want[bad]}`).toBe('equal');
      }
    }
  });
});
