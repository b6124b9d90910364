// The wider conv2d epilogue (the optional Backend `conv2dEpilogue`: bias, residual, relu /
// relu6 / hardswish; native/epilogue.cc) against the js backend's conv2d followed by the
// elementwise kernels that compute the same thing one by one — on every convolution path:
// direct (LeNet-sized), im2col GEMM at batch 1 and batched (through scratch memory),
// pointwise, banded, and depthwise at stride 1 and 2.
import type { Conv2dParams, ConvEpilogue } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../src/native.js';
import { cpu, epilogueReference, expectClose, randomPair } from './helpers.js';

function conv(n: number, c: number, h: number, o: number, k: number, s: number, groups = 1): Conv2dParams {
  const p = (k - 1) >> 1;
  const oh = Math.floor((h + 2 * p - k) / s) + 1;
  return { n, c, h, w: h, o, kh: k, kw: k, oh, ow: oh, sh: s, sw: s, ph: p, pw: p, dh: 1, dw: 1, groups };
}

const CASES: [string, Conv2dParams][] = [
  ['direct (LeNet-sized)', { ...conv(2, 3, 12, 6, 5, 1), ph: 0, pw: 0, oh: 8, ow: 8 }],
  ['3×3 GEMM, batch 1', conv(1, 8, 10, 12, 3, 1)],
  ['3×3 GEMM, batched', conv(3, 8, 9, 12, 3, 2)],
  ['1×1 pointwise, batched', conv(4, 16, 7, 24, 1, 1)],
  ['3×3 banded (im2col over 1 M floats)', conv(1, 32, 72, 8, 3, 1)],
  ['depthwise stride 1', conv(2, 6, 9, 6, 3, 1, 6)],
  ['depthwise stride 2', conv(1, 6, 11, 6, 3, 2, 6)],
];

type Act = NonNullable<ConvEpilogue['activation']>;
const ACTS: (Act | undefined)[] = [undefined, 'relu', 'relu6', 'hardswish'];

describe('cpu conv2dEpilogue', () => {
  let seed = 500;
  it.each(CASES)('%s: every activation, with and without bias and residual, equals conv then the elementwise ops', (_name, p) => {
    const x = randomPair('float32', [p.n, p.c, p.h, p.w], 'normal', seed++);
    const w = randomPair('float32', [p.o, p.c / p.groups, p.kh, p.kw], 'normal', seed++);
    const b = randomPair('float32', [p.o], 'normal', seed++);
    const r = randomPair('float32', [p.n, p.o, p.oh, p.ow], 'normal', seed++);
    const size = p.n * p.o * p.oh * p.ow;
    for (const activation of ACTS) {
      for (const [withBias, withRes] of [
        [true, true],
        [true, false],
        [false, true],
        [false, false],
      ]) {
        const got = cpu.conv2dEpilogue(x.c, w.c, p, {
          bias: withBias ? b.c : undefined,
          residual: withRes ? r.c : undefined,
          activation,
        });
        const want = epilogueReference(x.j, w.j, p, withBias ? b.j : undefined, withRes ? r.j : undefined, activation);
        expectClose(cpu.readSync(got, 'float32', size), want, 1e-4, 1e-4, `${activation} bias ${withBias} residual ${withRes}`);
      }
    }
  });

  it('names the argument the addon rejects', () => {
    const native = loadNative();
    const p = conv(1, 2, 4, 3, 3, 1);
    const params = Int32Array.from([p.n, p.c, p.h, p.w, p.o, p.kh, p.kw, p.oh, p.ow, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw, p.groups]);
    const x = new Float32Array(2 * 16);
    const w = new Float32Array(3 * 2 * 9);
    const y = new Float32Array(3 * 16);
    expect(() => native.conv2d(x, w, y, params, null, 4)).toThrow(
      /conv2d: argument 'activation' must be 0 \(none\), 1 \(relu\), 2 \(relu6\) or 3 \(hardswish\), got 4/,
    );
    expect(() => native.conv2d(x, w, y, params, null, 2, new Float32Array(47))).toThrow(/conv2d.*'residual'.*48.*47|conv2d.*residual/);
    expect(() =>
      native.depthwiseConv2d(
        x,
        new Float32Array(2 * 9),
        new Float32Array(2 * 16),
        Int32Array.from([...params.slice(0, 4), 2, ...params.slice(5, 15), 2]),
        null,
        0,
        new Float32Array(3),
      ),
    ).toThrow(/depthwiseConv2d.*residual/);
    expect(() => native.conv2d(x, w, y, params, null, 0, y.subarray(1))).toThrow(/residual/);
    // matmul's epilogue stays bias + relu
    expect(() =>
      native.matmul(new Float32Array(4), new Float32Array(4), new Float32Array(4), Int32Array.from([1, 2, 2, 2, 0, 0, 1, 1]), null, 2),
    ).toThrow(/matmul: argument 'relu' must be 0 or 1, got 2/);
  });
});
