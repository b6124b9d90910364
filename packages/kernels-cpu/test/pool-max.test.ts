// Max pooling by rows (native/pool_max.cc) against the js backend's window walk: values equal
// (NaN where the window holds one, ±0 compared as equal), on the stem pools of ResNet and
// ShuffleNet (3×3/2 pad 1), stride 1, windows wider than the stride, clipped last windows,
// padding-only rows, at 1 and 2 threads.
import type { Pool2dParams } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { setNumThreads } from '../src/index.js';
import { cpu, js, randomPair } from './helpers.js';

function pool(n: number, c: number, h: number, w: number, k: number, s: number, pad: number, kw = k, sw = s, pw = pad): Pool2dParams {
  const oh = Math.floor((h + 2 * pad - k) / s) + 1;
  const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  return { n, c, h, w, kh: k, kw, oh, ow, sh: s, sw, ph: pad, pw };
}

const CASES: [string, Pool2dParams][] = [
  ['3×3/2 pad 1, 112² (the stem pool)', pool(1, 3, 112, 112, 3, 2, 1)],
  ['3×3/2 pad 1, odd 13×11, batch 2', pool(2, 3, 13, 11, 3, 2, 1)],
  ['3×3/1 pad 1, 9×21', pool(1, 4, 9, 21, 3, 1, 1)],
  ['2×2/1 unpadded, 6×7', pool(1, 2, 6, 7, 2, 1, 0)],
  ['5×5/3 pad 2, 17×19', pool(1, 2, 17, 19, 5, 3, 2)],
  ['3×2 window, strides 2×1, pads 1×0, 10×12', pool(1, 2, 10, 12, 3, 2, 1, 2, 1, 0)],
  ['1×1/2 unpadded, 8×9', pool(1, 3, 8, 9, 1, 2, 0)],
  ['3×3/2 pad 1, 64 planes of 28² (threaded)', pool(1, 64, 28, 28, 3, 2, 1)],
];

const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

describe('cpu max pool2d by rows', () => {
  let seed = 7100;
  for (const threads of [1, 2]) {
    it.each(CASES)(`${threads} thread(s): %s equals the window walk`, (_name, p) => {
      setNumThreads(threads);
      for (const gen of ['normal', 'special'] as const) {
        const x = randomPair('float32', [p.n, p.c, p.h, p.w], gen, seed++);
        const size = p.n * p.c * p.oh * p.ow;
        const got = cpu.readSync(cpu.pool2d('max', x.c, p), 'float32', size);
        const want = js.readSync(js.pool2d('max', x.j, p), 'float32', size);
        let bad = -1;
        for (let i = 0; i < size && bad < 0; i++) if (!same(got[i], want[i])) bad = i;
        expect(bad < 0 ? 'equal' : `${gen} element ${bad}: ${got[bad]} vs ${want[bad]}`).toBe('equal');
      }
    });
  }
});
