import { BINARY_OPS, type BinaryOp, COMPARISON_OPS, type DType, UNARY_ROWS } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { cpu, expectClose, type Gen, js, pair, randomArray, randomPair, rng, sizeOf } from './helpers.js';

// Sizes straddle the kernels' single-thread thresholds (2^13, 2^16 elements).
const SIZES = [0, 1, 7, 33, 1000, 20_000, 70_000];

describe('unary matches the js backend', () => {
  for (const row of UNARY_ROWS) {
    const op = row.name;
    if (row.dtype === 'logical') continue;
    const gen: Gen = row.domain === 'positive' ? 'positive' : 'normal';
    it(`${op} float32`, () => {
      for (const n of SIZES) {
        const x = randomPair('float32', [n], gen, n + 1);
        const rtol = row.approx ? 2e-6 : 1e-6;
        expectClose(cpu.readSync(cpu.unary(op, x.c), 'float32', n), js.unary(op, x.j), rtol, 1e-7, `${op}[${n}]`);
      }
    });
    it(`${op} float32 on special values`, () => {
      const x = randomPair('float32', [64], 'special', 3);
      expectClose(cpu.readSync(cpu.unary(op, x.c), 'float32', 64), js.unary(op, x.j), 2e-6, 1e-7, op);
    });
    if (row.dtype === 'signed') {
      it(`${op} int32`, () => {
        const x = randomPair('int32', [300], 'special', 4);
        expectClose(cpu.readSync(cpu.unary(op, x.c), 'int32', 300), js.unary(op, x.j), 0, 0, op);
      });
    } else {
      it(`${op} refuses int32 (core casts it to float32 first)`, () => {
        const x = randomPair('int32', [3], 'special', 4);
        expect(() => cpu.unary(op, x.c)).toThrow(new RegExp(`'${op}' must be float32, got int32`));
      });
    }
  }
  it('logicalNot on every dtype', () => {
    for (const dtype of ['bool', 'int32', 'float32'] as DType[]) {
      const x = randomPair(dtype, [500], dtype === 'bool' ? 'bool' : 'smallint', 5);
      const got = cpu.unary('logicalNot', x.c);
      expect(got).toBeInstanceOf(Uint8Array);
      expectClose(cpu.readSync(got, 'bool', 500), js.unary('logicalNot', x.j));
    }
  });
  it('sign keeps -0, 0 and NaN on the vector paths (40 values: whole AVX-512/AVX2 vectors and a tail)', () => {
    const pattern = [-0, 0, Number.NaN, -3, 2.5, -Infinity, Infinity, 1e-40];
    const values = Float32Array.from({ length: 40 }, (_, i) => pattern[i % pattern.length]);
    const got = cpu.readSync(cpu.unary('sign', pair('float32', [40], values).c), 'float32', 40);
    const want = [-0, 0, Number.NaN, -1, 1, -1, 1, 1];
    for (let i = 0; i < 40; i++) expect(Object.is(got[i], want[i % want.length]), `element ${i}: ${got[i]}`).toBe(true);
  });
  it('round is half to even', () => {
    const x = pair('float32', [6], new Float32Array([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999]));
    expect(Array.from(cpu.readSync(cpu.unary('round', x.c), 'float32', 6))).toEqual([0, 2, 2, -0, -2, 2]);
  });
});

// Pairs of (a, b, out) shapes: no broadcast, scalar, both sides broadcasting, rank 0, empty, large.
const SHAPES: [number[], number[], number[]][] = [
  [[5], [5], [5]],
  [
    [2, 3],
    [1, 1],
    [2, 3],
  ],
  [
    [1, 1],
    [2, 3],
    [2, 3],
  ],
  [
    [3, 1, 5],
    [1, 4, 5],
    [3, 4, 5],
  ],
  [
    [2, 1, 3, 1],
    [1, 4, 1, 5],
    [2, 4, 3, 5],
  ],
  [
    [4, 6],
    [4, 1],
    [4, 6],
  ],
  [[], [], []],
  [
    [0, 3],
    [1, 3],
    [0, 3],
  ],
  [
    [300, 300],
    [300, 1],
    [300, 300],
  ],
  [
    [1, 300],
    [300, 300],
    [300, 300],
  ],
  [[70_000], [70_000], [70_000]],
];

function genFor(op: BinaryOp, dtype: DType, side: 'a' | 'b'): Gen {
  if (dtype === 'bool') return 'bool';
  if (dtype === 'int32') return op === 'pow' && side === 'b' ? 'smallint' : 'int';
  if (op === 'pow' && side === 'a') return 'positive';
  return 'normal';
}

describe('binary matches the js backend', () => {
  for (const op of BINARY_OPS) {
    for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
      if ((op === 'logicalAnd' || op === 'logicalOr') && dtype !== 'bool') continue;
      it(`${op} ${dtype}`, () => {
        let seed = 10;
        for (const [as, bs, os] of SHAPES) {
          const a = randomPair(dtype, as, genFor(op, dtype, 'a'), seed++);
          const b = randomPair(dtype, bs, genFor(op, dtype, 'b'), seed++);
          const outDtype = COMPARISON_OPS.has(op) ? 'bool' : dtype;
          const got = cpu.readSync(cpu.binary(op, a.c, b.c, os), outDtype, sizeOf(os));
          expectClose(got, js.binary(op, a.j, b.j, os), 1e-6, 1e-7, `${op} ${as}·${bs}`);
        }
      });
    }
    it(`${op} on special values`, () => {
      for (const dtype of ['float32', 'int32'] as DType[]) {
        const a = randomPair(dtype, [400], 'special', 1);
        const b = randomPair(dtype, [400], 'special', 2);
        const outDtype = COMPARISON_OPS.has(op) ? 'bool' : dtype;
        const got = cpu.readSync(cpu.binary(op, a.c, b.c, [400]), outDtype, 400);
        expectClose(got, js.binary(op, a.j, b.j, [400]), 1e-6, 0, `${op} ${dtype}`);
      }
    });
  }
});

describe('where and cast match the js backend', () => {
  it('where with broadcasting, every dtype', () => {
    let seed = 100;
    for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
      for (const [cs, as, bs, os] of [
        [[6], [6], [6], [6]],
        [
          [3, 1],
          [1, 4],
          [3, 4],
          [3, 4],
        ],
        [
          [2, 1, 5],
          [1, 3, 1],
          [1, 1, 1],
          [2, 3, 5],
        ],
        [
          [400, 1],
          [400, 200],
          [1, 200],
          [400, 200],
        ],
      ]) {
        const c = randomPair('bool', cs, 'bool', seed++);
        const a = randomPair(dtype, as, dtype === 'bool' ? 'bool' : 'int', seed++);
        const b = randomPair(dtype, bs, dtype === 'bool' ? 'bool' : 'int', seed++);
        expectClose(cpu.readSync(cpu.where(c.c, a.c, b.c, os), dtype, sizeOf(os)), js.where(c.j, a.j, b.j, os));
      }
    }
  });
  it('cast between every pair of dtypes, special values included', () => {
    for (const from of ['float32', 'int32', 'bool'] as DType[]) {
      for (const to of ['float32', 'int32', 'bool'] as DType[]) {
        for (const gen of ['special', 'normal'] as Gen[]) {
          const x = randomPair(from, [70_001], from === 'bool' ? 'bool' : gen, 7);
          expectClose(cpu.readSync(cpu.cast(x.c, to), to, 70_001), js.cast(x.j, to), 0, 0, `${from}→${to}`);
        }
      }
    }
  });
  it('float → int32 saturates (NaN → 0), as on every backend', () => {
    const x = pair('float32', [5], new Float32Array([3e9, -3e9, 2.9, -2.9, Number.NaN]));
    expect(Array.from(cpu.readSync(cpu.cast(x.c, 'int32'), 'int32', 5))).toEqual([2147483647, -2147483648, 2, -2, 0]);
  });
  it('randomArray helper produces the requested dtype', () => {
    expect(randomArray('int32', 3, 'int', rng(1))).toBeInstanceOf(Int32Array);
  });
});

describe('the comparison helper', () => {
  it('fails on a mismatch, on NaN against a number, and on a dtype mismatch', () => {
    expect(() => expectClose(new Float32Array([1]), new Float32Array([1.01]))).toThrow();
    expect(() => expectClose(new Float32Array([Number.NaN]), new Float32Array([1]))).toThrow();
    expect(() => expectClose(new Int32Array([1]), new Float32Array([1]))).toThrow();
    expect(() => expectClose(new Int32Array([1, 2]), new Int32Array([1, 3]))).toThrow();
  });
});
