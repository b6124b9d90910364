import type { Conv2dParams, MatmulParams, Pool2dParams } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { setGemmIsa, setNumThreads } from '../src/index.js';
import { cpu, defaultIsa, expectClose, expectConvMatchesJs, ISA_RUNS, ISAS, js, randomPair, restoreIsaAfterAll, rng } from './helpers.js';

/** op(A)·op(B) in double, the obvious way. */
function naiveMatmul(a: Float32Array, b: Float32Array, p: MatmulParams): Float32Array {
  const out = new Float32Array(p.batch * p.m * p.n);
  for (let t = 0; t < p.batch; t++) {
    const ao = p.batchA === 1 ? 0 : t * p.m * p.k;
    const bo = p.batchB === 1 ? 0 : t * p.k * p.n;
    for (let i = 0; i < p.m; i++) {
      for (let j = 0; j < p.n; j++) {
        let s = 0;
        for (let q = 0; q < p.k; q++) {
          const av = p.transA ? a[ao + q * p.m + i] : a[ao + i * p.k + q];
          const bv = p.transB ? b[bo + j * p.k + q] : b[bo + q * p.n + j];
          s += av * bv;
        }
        out[t * p.m * p.n + i * p.n + j] = s;
      }
    }
  }
  return out;
}

/** act(out + bias) in place, bias one value per column n (matmul's epilogue). */
function withEpilogue(out: Float32Array, n: number, bias: Float32Array | undefined, relu: boolean): Float32Array {
  for (let i = 0; i < out.length; i++) {
    const v = out[i] + (bias ? bias[i % n] : 0);
    out[i] = relu ? Math.max(v, 0) : v;
  }
  return out;
}

function mm(batch: number, m: number, n: number, k: number, transA = false, transB = false, batchA = batch, batchB = batch): MatmulParams {
  return { batch, m, n, k, transA, transB, batchA, batchB };
}

restoreIsaAfterAll();

describe('matmul', () => {
  const cases: MatmulParams[] = [
    mm(1, 1, 1, 1),
    mm(1, 2, 3, 0),
    mm(1, 0, 3, 4),
    mm(1, 14, 32, 256),
    mm(1, 15, 33, 257),
    mm(1, 17, 31, 70, true),
    mm(1, 29, 47, 300, false, true),
    mm(1, 45, 67, 513, true, true),
    mm(3, 13, 17, 19, false, false, 1, 3),
    mm(4, 13, 17, 19, true, false, 4, 1),
    mm(2, 130, 170, 190, false, true),
    mm(1, 200, 300, 600),
    mm(1, 5, 4100, 20),
    mm(1, 4100, 40, 30, true), // taller than one packed chunk of the threaded GEMM
    mm(1, 20, 4200, 30, false, true), // wider than one packed chunk
    mm(1, 6, 25, 3000, false, true), // tiny C, long K: the dot-product path
    mm(1, 13, 61, 999, false, true, 1, 1),
    mm(1, 8, 40, 300_000), // deeper than one packed chunk (K split, accumulating)
    // At most 4 rows: B read in place (dot products when transposed, scaled rows otherwise)
    mm(1, 1, 120, 403, false, true),
    mm(2, 3, 37, 13, false, false, 2, 1),
    mm(1, 4, 50, 21, false, true),
    mm(1, 2, 70, 9, true, false), // transposed A: the blocked path
  ];
  for (const isa of ISAS) {
    for (const threads of [1, 2]) {
      it(`${isa} micro-kernel, ${threads} thread(s), edge tiles, transposes and batches`, () => {
        expect(setGemmIsa(isa)).toBe(true);
        setNumThreads(threads);
        let seed = 1;
        for (const p of cases) {
          const a = randomPair('float32', [p.batchA * p.m * p.k], 'normal', seed++);
          const b = randomPair('float32', [p.batchB * p.k * p.n], 'normal', seed++);
          const got = cpu.readSync(cpu.matmul(a.c, b.c, p), 'float32', p.batch * p.m * p.n);
          const want = naiveMatmul(a.j.buf as Float32Array, b.j.buf as Float32Array, p);
          expectClose(got, want, 1e-4, 1e-4 * Math.sqrt(p.k), `${isa} ${JSON.stringify(p)}`);
          // The fused epilogue on every path (edge tiles, chunks, K split, dot products):
          // bias + relu, then relu alone.
          const bias = randomPair('float32', [p.n], 'normal', seed++);
          const fused = cpu.readSync(cpu.matmul(a.c, b.c, p, { bias: bias.c, activation: 'relu' }), 'float32', got.length);
          const wantFused = withEpilogue(want.slice(), p.n, bias.j.buf as Float32Array, true);
          expectClose(fused, wantFused, 1e-4, 1e-4 * Math.sqrt(p.k), `${isa} bias+relu ${JSON.stringify(p)}`);
          const relu = cpu.readSync(cpu.matmul(a.c, b.c, p, { activation: 'relu' }), 'float32', got.length);
          expectClose(
            relu,
            withEpilogue(want.slice(), p.n, undefined, true),
            1e-4,
            1e-4 * Math.sqrt(p.k),
            `${isa} relu ${JSON.stringify(p)}`,
          );
        }
      });
    }
  }
  it('agrees with the js backend', () => {
    setGemmIsa(defaultIsa);
    const p = mm(2, 33, 65, 129, true, false);
    const a = randomPair('float32', [2 * 33 * 129], 'normal', 5);
    const b = randomPair('float32', [2 * 129 * 65], 'normal', 6);
    expectClose(cpu.readSync(cpu.matmul(a.c, b.c, p), 'float32', 2 * 33 * 65), js.matmul(a.j, b.j, p), 1e-4, 1e-4);
  });
});

function conv(n: number, c: number, h: number, w: number, o: number, k: number, s = 1, pad = 0, d = 1, groups = 1): Conv2dParams {
  const oh = Math.floor((h + 2 * pad - d * (k - 1) - 1) / s) + 1;
  const ow = Math.floor((w + 2 * pad - d * (k - 1) - 1) / s) + 1;
  return { n, c, h, w, o, kh: k, kw: k, oh, ow, sh: s, sw: s, ph: pad, pw: pad, dh: d, dw: d, groups };
}

const CONVS: Conv2dParams[] = [
  conv(1, 1, 5, 5, 1, 3),
  conv(3, 2, 7, 6, 4, 3, 1, 1),
  conv(2, 3, 9, 9, 5, 3, 2, 1),
  conv(2, 4, 10, 8, 6, 3, 1, 2, 2),
  conv(2, 4, 8, 8, 6, 3, 1, 1, 1, 2),
  conv(3, 8, 6, 6, 16, 1),
  conv(1, 8, 6, 6, 16, 1),
  conv(2, 8, 7, 7, 4, 1, 2),
  conv(4, 1, 28, 28, 6, 5),
  conv(4, 6, 12, 12, 16, 5),
  // The direct paths: rows of one, two, three and four 8-lane vectors, full and partial (OW 8, 16,
  // 17, 28, 32; NEON cuts them into 4-lane chunks), and filter counts that use every block size.
  conv(2, 2, 12, 12, 5, 5),
  conv(2, 1, 20, 20, 9, 5),
  conv(1, 2, 21, 21, 7, 5),
  conv(2, 1, 32, 32, 6, 5),
  conv(2, 3, 36, 36, 13, 5),
  conv(2, 2, 14, 14, 23, 3),
  // Input gradient two rows × 6 channels at a time (32-register ISAs): odd heights (the last pair
  // overlaps), a filter width not known at compile time, and channels left over for the other blocks.
  conv(2, 6, 11, 13, 4, 3),
  conv(1, 13, 9, 10, 3, 5),
  // Filter gradient vectorised over filters (more lanes filled than by 8- or 10-wide rows), 20 = 16 + 4.
  conv(3, 3, 10, 10, 20, 3),
  { ...conv(2, 3, 9, 11, 4, 3, 1, 1), kh: 2, kw: 4, oh: 10, ow: 10, sh: 1, sw: 1, ph: 1, pw: 1 },
  // Column matrices over 4 MB go in bands of output rows (the last band shorter): grouped, and
  // strided with padding.
  conv(1, 32, 90, 90, 6, 3, 1, 1, 1, 2),
  conv(2, 8, 150, 150, 5, 5, 2, 2),
  // 3×3 stride-1 layers with ≥ 16 channels: Winograd F(2×2, 3×3) for all three passes (≥ 512 output
  // tiles, so also at 2 threads), with odd output sizes (edge tiles), padding 0, 1 and 2, channel
  // counts that are not multiples of the GEMM tiles, and tile blocks that span images.
  conv(3, 16, 27, 27, 20, 3, 1, 1),
  conv(2, 16, 34, 34, 16, 3, 1, 0),
  conv(2, 17, 29, 31, 18, 3, 1, 2),
  conv(40, 24, 6, 6, 16, 3, 1, 1),
  // … its filter gradient alone (≥ 64 tiles; forward and input gradient through im2col).
  conv(4, 16, 8, 8, 16, 3, 1, 1),
  // Few tiles, ≥ 128 channels, batch > 1: one block of every tile, phases shared over the threads.
  // F(2×2) on small maps (4 tiles an image; 16 with edge tiles and padding 2). (F(4×4)'s case is below.)
  conv(20, 128, 4, 4, 130, 3, 1, 1),
  conv(8, 129, 5, 5, 128, 3, 1, 2),
  // 1×1 with ≥ 512 outputs per image: the filter gradient adds one image's product at a time.
  conv(3, 8, 24, 24, 16, 1),
];

describe('conv2d and its gradients match the js backend', () => {
  for (const [isa, threads] of ISA_RUNS) {
    it(`forward, backward input, backward filter (${isa}, ${threads} thread(s))`, () => {
      expect(setGemmIsa(isa)).toBe(true);
      setNumThreads(threads);
      let seed = 1;
      for (const p of CONVS) seed = expectConvMatchesJs(p, seed);
    });
  }
});

// F(4×4) as one block of every tile (96 tiles with edge tiles, 128 channels): its rounding error is
// a few 1e-6 of the tensor's largest value, so the bound here is relative to that, not per element.
describe('a few-tile wide Winograd F(4×4) layer matches the js backend', () => {
  const p = conv(24, 128, 7, 7, 128, 3, 1, 1);
  const scaled = (got: ArrayLike<number>, want: Float32Array, what: string) => {
    const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(worst / scale, what).toBeLessThan(2e-5);
    expect(scale, what).toBeGreaterThan(1);
  };
  for (const [isa, threads] of ISA_RUNS) {
    it(`forward (bias, relu), backward input, backward filter (${isa}, ${threads} thread(s))`, () => {
      expect(setGemmIsa(isa)).toBe(true);
      setNumThreads(threads);
      const x = randomPair('float32', [p.n, p.c, p.h, p.w], 'normal', 7);
      const w = randomPair('float32', [p.o, p.c, 3, 3], 'normal', 8);
      const dy = randomPair('float32', [p.n, p.o, p.oh, p.ow], 'normal', 9);
      const b = randomPair('float32', [p.o], 'normal', 10);
      const ysize = p.n * p.o * p.oh * p.ow;
      scaled(cpu.readSync(cpu.conv2d(x.c, w.c, p), 'float32', ysize), js.conv2d(x.j, w.j, p) as Float32Array, 'fwd');
      scaled(
        cpu.readSync(cpu.conv2d(x.c, w.c, p, { bias: b.c, activation: 'relu' }), 'float32', ysize),
        js.conv2d(x.j, w.j, p, { bias: b.j, activation: 'relu' }) as Float32Array,
        'fwd bias relu',
      );
      scaled(
        cpu.readSync(cpu.conv2dBackwardInput(dy.c, w.c, p), 'float32', p.n * p.c * p.h * p.w),
        js.conv2dBackwardInput(dy.j, w.j, p) as Float32Array,
        'bwd input',
      );
      scaled(
        cpu.readSync(cpu.conv2dBackwardFilter(x.c, dy.c, p), 'float32', p.o * p.c * 9),
        js.conv2dBackwardFilter(x.j, dy.j, p) as Float32Array,
        'bwd filter',
      );
    });
  }
});

function pool(n: number, c: number, h: number, w: number, k: number, s: number, pad = 0): Pool2dParams {
  const oh = Math.floor((h + 2 * pad - k) / s) + 1;
  const ow = Math.floor((w + 2 * pad - k) / s) + 1;
  return { n, c, h, w, kh: k, kw: k, oh, ow, sh: s, sw: s, ph: pad, pw: pad };
}

describe('pooling matches the js backend', () => {
  for (const op of ['max', 'avg'] as const) {
    it(`${op} forward and backward`, () => {
      let seed = 1;
      for (const p of [pool(2, 3, 8, 8, 2, 2), pool(1, 2, 7, 9, 3, 2, 1), pool(3, 4, 6, 6, 3, 1, 1), pool(64, 16, 24, 24, 2, 2)]) {
        const x = randomPair('float32', [p.n, p.c, p.h, p.w], 'normal', seed++);
        const dy = randomPair('float32', [p.n, p.c, p.oh, p.ow], 'normal', seed++);
        expectClose(cpu.readSync(cpu.pool2d(op, x.c, p), 'float32', p.n * p.c * p.oh * p.ow), js.pool2d(op, x.j, p), 1e-6, 1e-6);
        expectClose(
          cpu.readSync(cpu.pool2dBackward(op, x.c, dy.c, p), 'float32', p.n * p.c * p.h * p.w),
          js.pool2dBackward(op, x.j, dy.j, p),
          1e-5,
          1e-6,
        );
      }
    });
  }
  it('2×2 stride-2 max pooling (the fast path) agrees on NaN, ±Inf, ±0 and ties', () => {
    // 6×8: whole SIMD groups; 7×11: a SIMD group plus a scalar tail, and an uncovered row and column.
    for (const [h, w, seed] of [
      [6, 8, 11],
      [7, 11, 21],
      [10, 10, 31],
    ]) {
      const p = pool(2, 3, h, w, 2, 2);
      const x = randomPair('float32', [2, 3, h, w], 'special', seed);
      const dy = randomPair('float32', [2, 3, p.oh, p.ow], 'normal', seed + 1);
      const ny = 6 * p.oh * p.ow;
      expectClose(cpu.readSync(cpu.pool2d('max', x.c, p), 'float32', ny), js.pool2d('max', x.j, p), 0, 0);
      expectClose(
        cpu.readSync(cpu.pool2dBackward('max', x.c, dy.c, p), 'float32', 6 * h * w),
        js.pool2dBackward('max', x.j, dy.j, p),
        0,
        0,
      );
    }
  });
  it('max pooling sends the gradient to the first maximum of a tie', () => {
    const p = pool(1, 1, 2, 2, 2, 2);
    const x = randomPair('float32', [1, 1, 2, 2], 'normal', 1);
    (x.c.buf as Float32Array).set([3, 3, 1, 3]);
    const dy = randomPair('float32', [1, 1, 1, 1], 'normal', 2);
    (dy.c.buf as Float32Array).set([5]);
    expect(Array.from(cpu.readSync(cpu.pool2dBackward('max', x.c, dy.c, p), 'float32', 4))).toEqual([5, 0, 0, 0]);
  });
  it('rng helper is deterministic', () => {
    expect(rng(3)()).toBe(rng(3)());
  });
});
