/**
 * float32 → int32 of values int32 cannot hold: every backend saturates (the rule of WGSL's
 * conversion and of Rust's `as`): truncate toward zero, clamp to [−2³¹, 2³¹−1], NaN → 0.
 * NumPy leaves these undefined (x86 gives −2³¹ for all of them); a wrap modulo 2³² (a JS
 * Int32Array store) would turn 3e9 into a negative number.
 */
import * as mge from '../../index.js';
import type { Case } from '../harness.js';
import { nd } from '../nd.js';

const MAX = 2147483647;
const MIN = -2147483648;

export function castCases(): Record<string, Case[]> {
  return {
    'float32 → int32 out of range': [
      {
        name: 'saturates past ±2³¹, ±∞ clamps, NaN is 0, in-range truncates toward zero',
        inputs: [
          { shape: [12], values: [3e9, -3e9, Infinity, -Infinity, Number.NaN, 2.9, -2.9, 2147483520, -2147483648, 2147483648, 1e30, -0.5] },
        ],
        run: ([x]) => mge.astype(x, 'int32'),
        expect: nd([12], [MAX, MIN, MAX, MIN, 0, 2, -2, 2147483520, MIN, MAX, MAX, 0], 'int32'),
      },
    ],
  };
}
