import type { Pool2dParams } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { setGemmIsa } from '../src/index.js';
import { cpu, ISAS, js, pair, randomPair, restoreIsaAfterAll } from './helpers.js';

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

// The 2×2/2 max pool's and its gradient's vector paths (four windows with SSE2, eight with AVX2 on the avx2 and avx512
// paths, an overlapping last group) against the js backend, bit for bit: signed zeros, ±Inf and
// NaN in the gradient, ties, and inputs with and without NaN (a NaN sends its row to the scalar rule).
describe('2×2 max pool and its gradient on every ISA path', () => {
  restoreIsaAfterAll();
  const specials = [0, -0, 0.5, -0.5, 2.5, -2.5, 1e30, -1e30, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 7, -7];
  const data = (n: number, seed: number, nan: boolean): Float32Array => {
    const out = new Float32Array(n);
    let s = seed;
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      out[i] = nan && s % 97 === 0 ? Number.NaN : specials[(s >>> 8) % specials.length];
    }
    return out;
  };
  for (const isa of ISAS) {
    it(`equals the js backend on the ${isa} path`, () => {
      expect(setGemmIsa(isa)).toBe(true);
      let seed = 7;
      for (const p of [pool(2, 3, 19, 23, 2, 2), pool(3, 16, 10, 10, 2, 2), pool(2, 6, 28, 28, 2, 2), pool(1, 2, 6, 34, 2, 2)]) {
        for (const nan of [false, true]) {
          const size = p.n * p.c * p.h * p.w;
          const x = pair('float32', [p.n, p.c, p.h, p.w], data(size, seed++, nan));
          const dy = pair('float32', [p.n, p.c, p.oh, p.ow], data(p.n * p.c * p.oh * p.ow, seed++, true));
          const ny = p.n * p.c * p.oh * p.ow;
          const yc = cpu.readSync(cpu.pool2d('max', x.c, p), 'float32', ny);
          const yj = js.readSync(js.pool2d('max', x.j, p), 'float32', ny);
          let badY = -1;
          for (let i = 0; i < ny && badY < 0; i++) if (!Object.is(yc[i], yj[i])) badY = i;
          expect(badY < 0 ? 'equal' : `forward ${JSON.stringify(p)} nan ${nan} element ${badY}: ${yc[badY]} vs ${yj[badY]}`).toBe('equal');
          const g = js.pool2dBackward('max', x.j, dy.j, p);
          const want = [g, js.mulSign!({ buf: g, shape: x.j.shape, dtype: 'float32' }, x.j)];
          const got = [cpu.pool2dBackward('max', x.c, dy.c, p), cpu.maxPool2dSignBackward(x.c, dy.c, p)];
          for (let k = 0; k < 2; k++) {
            const a = cpu.readSync(got[k], 'float32', size);
            const b = js.readSync(want[k], 'float32', size);
            let bad = -1;
            for (let i = 0; i < size && bad < 0; i++) if (!Object.is(a[i], b[i])) bad = i;
            expect(bad < 0 ? 'equal' : `${k ? 'sign ' : ''}${JSON.stringify(p)} nan ${nan} element ${bad}: ${a[bad]} vs ${b[bad]}`).toBe(
              'equal',
            );
          }
        }
      }
    });
  }
});
