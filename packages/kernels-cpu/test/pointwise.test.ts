// 1×1 convolutions from a filter packed once (prepackConv2d → conv2dEpilogue's `packed`;
// native/pointwise.cc): against the js backend's conv2d followed by the elementwise kernels, on
// every ISA path at one thread and the default path at two (both thread splits: over columns,
// and over rows when the map is small), with edge tiles in both directions and K past one block.
import type { Conv2dParams, DataArray } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { setGemmIsa, setNumThreads } from '../src/index.js';
import { loadNative } from '../src/native.js';
import {
  type EpilogueAct as Act,
  cpu,
  expectClose,
  ISA_RUNS,
  js,
  randomPair,
  epilogueReference as reference,
  restoreIsaAfterAll,
} from './helpers.js';

function pointwise(n: number, c: number, h: number, w: number, o: number): Conv2dParams {
  return { n, c, h, w, o, kh: 1, kw: 1, oh: h, ow: w, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, groups: 1 };
}

const CASES: [string, Conv2dParams][] = [
  ['7² map, rows split (MobileNet tail)', pointwise(1, 40, 7, 7, 53)],
  ['14² map, K over two blocks', pointwise(1, 600, 3, 5, 29)],
  ['wide map, columns split', pointwise(1, 9, 23, 29, 7)],
  ['batched', pointwise(3, 16, 11, 11, 24)],
  ['one output channel, one pixel', pointwise(2, 5, 1, 1, 1)],
];

function stem(n: number, c: number, h: number, w: number, o: number, k: number, s: number, pad: number, d = 1): Conv2dParams {
  const oh = Math.floor((h + 2 * pad - d * (k - 1) - 1) / s) + 1;
  const ow = Math.floor((w + 2 * pad - d * (k - 1) - 1) / s) + 1;
  return { n, c, h, w, o, kh: k, kw: k, oh, ow, sh: s, sw: s, ph: pad, pw: pad, dh: d, dw: d, groups: 1 };
}

// Stems, small maps and strided maps (patches of bands of output rows through the tile) and
// strided 1×1 layers (the sampled pixels gathered, then the GEMM).
const STEMS: [string, Conv2dParams][] = [
  ['3×3/2 pad 1, 3 → 13 channels, 37×35 (MobileNet/ShuffleNet stem)', stem(1, 3, 37, 35, 13, 3, 2, 1)],
  ['7×7/2 pad 3, 3 → 5 channels, K 147 past one block (ResNet stem)', stem(2, 3, 23, 21, 5, 7, 2, 3)],
  ['5×5/1 pad 2, dilation 2, 1 → 4 channels, 9×40', stem(1, 1, 9, 40, 4, 5, 1, 2, 2)],
  ['3×3/1 unpadded, 4 → 30 channels, 70×6 (threaded rows)', stem(1, 4, 70, 6, 30, 3, 1, 0)],
  ['3×3/1 pad 1, 60 → 30 channels, 7² (one band, K over blocks: a ResNet tail)', stem(1, 60, 7, 7, 30, 3, 1, 1)],
  ['3×3/2 pad 1, 20 → 26 channels, 27×27 → 14², batch 2 (bands of 8 rows)', stem(2, 20, 27, 27, 26, 3, 2, 1)],
  ['1×1/2, 40 → 20 channels, 15×14 (a downsampling shortcut)', stem(2, 40, 15, 14, 20, 1, 2, 0)],
  ['1×1/3×1, 300 → 7 channels, 10×9 (gathered, K over two blocks)', { ...pointwise(1, 300, 10, 9, 7), sh: 3, oh: 4 }],
];

describe('cpu prepacked 1×1 convolution', () => {
  restoreIsaAfterAll();
  let seed = 900;
  for (const [isa, threads] of ISA_RUNS) {
    it.each([...CASES, ...STEMS])(`${isa}, ${threads} thread(s): %s, every epilogue, equals conv then the elementwise ops`, (_name, p) => {
      setGemmIsa(isa);
      setNumThreads(threads);
      const x = randomPair('float32', [p.n, p.c, p.h, p.w], 'normal', seed++);
      const w = randomPair('float32', [p.o, p.c, p.kh, p.kw], 'normal', seed++);
      const b = randomPair('float32', [p.o], 'normal', seed++);
      const r = randomPair('float32', [p.n, p.o, p.oh, p.ow], 'normal', seed++);
      const packed = cpu.prepackConv2d(w.c, p);
      expect(packed).toBeInstanceOf(Float32Array);
      const size = p.n * p.o * p.oh * p.ow;
      for (const activation of ['relu', 'relu6', 'hardswish', undefined] as Act[]) {
        for (const [withBias, withRes] of [
          [true, true],
          [false, false],
          [true, false],
          [false, true],
        ]) {
          const epi = { bias: withBias ? b.c : undefined, residual: withRes ? r.c : undefined, activation };
          const got = cpu.conv2dEpilogue(x.c, w.c, p, { ...epi, packed: packed ?? undefined });
          const want = reference(x.j, w.j, p, epi.bias && b.j, epi.residual && r.j, activation);
          expectClose(cpu.readSync(got, 'float32', size), want, 1e-4, 1e-4, `${activation} bias ${withBias} residual ${withRes}`);
        }
      }
    });
  }

  it('is offered for 1×1 unpadded ungrouped layers, ungrouped stems, small maps and strided maps up to 28² only', () => {
    const s = randomPair('float32', [4, 3, 3, 3], 'normal', 5);
    expect(cpu.prepackConv2d(s.c, stem(1, 3, 9, 9, 4, 3, 2, 1))).toBeInstanceOf(Float32Array);
    const wide = randomPair('float32', [4, 5, 3, 3], 'normal', 6);
    expect(cpu.prepackConv2d(wide.c, stem(1, 5, 9, 9, 4, 3, 2, 1))).toBeInstanceOf(Float32Array);
    expect(cpu.prepackConv2d(wide.c, stem(1, 5, 40, 40, 4, 3, 1, 1))).toBeNull();
    expect(cpu.prepackConv2d(wide.c, stem(1, 5, 80, 80, 4, 3, 2, 1))).toBeNull();
    const dw = randomPair('float32', [4, 1, 3, 3], 'normal', 7);
    expect(cpu.prepackConv2d(dw.c, { ...stem(1, 4, 9, 9, 4, 3, 2, 1), groups: 4 })).toBeNull();
    const w = randomPair('float32', [4, 6, 1, 1], 'normal', 1);
    expect(cpu.prepackConv2d(w.c, pointwise(1, 6, 5, 5, 4))).toBeInstanceOf(Float32Array);
    expect(cpu.prepackConv2d(w.c, { ...pointwise(1, 6, 5, 5, 4), sh: 2, sw: 2, oh: 3, ow: 3 })).toBeInstanceOf(Float32Array);
    expect(cpu.prepackConv2d(w.c, { ...pointwise(1, 6, 5, 5, 4), sh: 2, sw: 2, ph: 1, pw: 1, oh: 4, ow: 4 })).toBeNull();
    expect(cpu.prepackConv2d(w.c, { ...pointwise(1, 6, 5, 5, 4), ph: 1, pw: 1, oh: 7, ow: 7 })).toBeNull();
    const g = randomPair('float32', [4, 3, 1, 1], 'normal', 2);
    expect(cpu.prepackConv2d(g.c, { ...pointwise(1, 6, 5, 5, 4), groups: 2 })).toBeNull();
  });

  it('a filter packed for another ISA falls back to the plain kernel', () => {
    const p = pointwise(1, 8, 4, 4, 5);
    const x = randomPair('float32', [1, 8, 4, 4], 'normal', 3);
    const w = randomPair('float32', [5, 8, 1, 1], 'normal', 4);
    const packed = cpu.prepackConv2d(w.c, p) as Float32Array;
    const [, other] = ISA_RUNS.map(([i]) => i).filter((i, k, all) => all.indexOf(i) === k);
    if (other) setGemmIsa(other);
    const got = cpu.conv2dEpilogue(x.c, w.c, p, { packed });
    expectClose(cpu.readSync(got, 'float32', 5 * 16), js.conv2d(x.j as never, w.j as never, p) as DataArray, 1e-4, 1e-4);
  });

  it('names the argument the addon rejects', () => {
    const native = loadNative();
    const pack = native.packPointwise as NonNullable<typeof native.packPointwise>;
    const run = native.pointwiseConv2d as NonNullable<typeof native.pointwiseConv2d>;
    expect(() => pack(new Float32Array(5), 2, 3)).toThrow(/packPointwise: .*'w'.*6.*5|packPointwise.*w/);
    expect(() => pack(new Float32Array(6), 0, 3)).toThrow(/packPointwise: arguments 'o' and 'c' must be in \[1, 2\^31 - 1\], got o 0/);
    const p = pointwise(1, 3, 2, 2, 2);
    const params = Int32Array.from([p.n, p.c, p.h, p.w, p.o, p.kh, p.kw, p.oh, p.ow, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw, p.groups]);
    const packed = pack(new Float32Array(6), 2, 3);
    const x = new Float32Array(12);
    const y = new Float32Array(8);
    expect(run(x, packed, y, params, null, 0, null)).toBe(true);
    expect(() => run(x, new Float32Array(packed.length), y, params, null, 0, null)).toThrow(
      /pointwiseConv2d: argument 'packed' is not a filter of 2×3 made by packPointwise/,
    );
    expect(() => run(x, pack(new Float32Array(9), 3, 3), y, params, null, 0, null)).toThrow(/not a filter of 2×3/);
    const grouped = Int32Array.from(params);
    grouped[1] = 2;
    grouped[15] = 2;
    expect(() => run(x, packed, y, grouped, null, 0, null)).toThrow(/pointwiseConv2d: expected an ungrouped convolution, got groups 2/);
    expect(() => run(x, packed, new Float32Array(7), params, null, 0, null)).toThrow(/pointwiseConv2d.*'y'/);
    expect(() => run(x, packed, y, params, null, 5, null)).toThrow(/pointwiseConv2d: argument 'activation' must be 0/);
    expect(() => run(x, packed, y, params, null, 0, y.subarray(0))).toThrow(/residual/);
    expect(() => run(y, packed, y, Int32Array.from([1, 2, 2, 2, 2, 1, 1, 2, 2, 1, 1, 0, 0, 1, 1, 1]), null, 0, null)).toThrow(
      /not a filter|'x' must not share memory/,
    );
  });
});

describe('cpu prepacked linear weight (prepackMatmul → matmul epilogue `packed`)', () => {
  restoreIsaAfterAll();
  let seed = 1700;
  const SHAPES: [string, number, number, number][] = [
    ['classifier at batch 1, features past one block', 1, 300, 211],
    ['batch 3, one partial block', 3, 17, 40],
    ['one feature', 2, 9, 1],
  ];
  for (const [isa, threads] of ISA_RUNS) {
    it.each(SHAPES)(`${isa}, ${threads} thread(s): %s, with and without bias and relu, equals the plain GEMM`, (_name, m, k, n) => {
      setGemmIsa(isa);
      setNumThreads(threads);
      const p = { batch: 1, m, n, k, transA: false, transB: true, batchA: 1, batchB: 1 };
      const x = randomPair('float32', [m, k], 'normal', seed++);
      const w = randomPair('float32', [n, k], 'normal', seed++);
      const b = randomPair('float32', [n], 'normal', seed++);
      const packed = cpu.prepackMatmul(w.c, p);
      expect(packed).toBeInstanceOf(Float32Array);
      for (const epi of [{}, { bias: b }, { activation: 'relu' as const }, { bias: b, activation: 'relu' as const }]) {
        const got = cpu.matmul(x.c, w.c, p, { bias: epi.bias?.c, activation: epi.activation, packed: packed ?? undefined });
        const want = js.matmul(x.j as never, w.j as never, p, { bias: epi.bias?.j as never, activation: epi.activation });
        expectClose(cpu.readSync(got, 'float32', m * n), want as DataArray, 1e-4, 1e-4, JSON.stringify(epi.activation));
      }
    });
  }

  it('is offered for an unbatched x · wᵀ only, and names what the addon rejects', () => {
    const w = randomPair('float32', [4, 6], 'normal', 5);
    const p = { batch: 1, m: 2, n: 4, k: 6, transA: false, transB: true, batchA: 1, batchB: 1 };
    expect(cpu.prepackMatmul(w.c, p)).toBeInstanceOf(Float32Array);
    expect(cpu.prepackMatmul(w.c, { ...p, transB: false, n: 6, k: 4 })).toBeNull();
    expect(cpu.prepackMatmul(w.c, { ...p, batch: 2, batchA: 2, batchB: 2 })).toBeNull();
    const native = loadNative();
    const pack = native.packLinear as NonNullable<typeof native.packLinear>;
    const run = native.linearPacked as NonNullable<typeof native.linearPacked>;
    expect(() => pack(new Float32Array(5), 2, 3)).toThrow(/packLinear.*'w'/);
    expect(() => pack(new Float32Array(6), 2, 0)).toThrow(/packLinear: arguments 'n' and 'k' must be in \[1, 2\^31 - 1\], got n 2 and k 0/);
    const packed = pack(new Float32Array(6), 2, 3);
    expect(run(new Float32Array(3), packed, new Float32Array(2), 1, 2, 3, null, 0)).toBe(true);
    expect(() => run(new Float32Array(3), packed, new Float32Array(3), 1, 3, 3, null, 0)).toThrow(
      /linearPacked: argument 'packed' is not a weight of 3×3 made by packLinear/,
    );
    expect(() => run(new Float32Array(4), packed, new Float32Array(2), 1, 2, 3, null, 0)).toThrow(/linearPacked.*'x'/);
    expect(() => run(new Float32Array(3), packed, new Float32Array(2), 1, 2, 3, new Float32Array(3), 0)).toThrow(/linearPacked.*'bias'/);
    expect(() => run(new Float32Array(3), packed, new Float32Array(2), 1, 2, 3, null, 2)).toThrow(
      /linearPacked: argument 'relu' must be 0 or 1/,
    );
  });
});
