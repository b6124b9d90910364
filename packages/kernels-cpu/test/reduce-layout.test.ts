import type { DType, ReduceOp } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { cpu, expectClose, js, pair, randomPair, sizeOf } from './helpers.js';

function subsets(rank: number): number[][] {
  const out: number[][] = [];
  for (let m = 1; m < 1 << rank; m++) out.push([...Array(rank).keys()].filter((i) => m & (1 << i)));
  return out;
}

const REDUCE_SHAPES = [[7], [4, 5, 6], [2, 1, 3, 4], [3, 0, 2], [64, 50, 40], [1, 70_000], [300, 257]];

describe('reduce matches the js backend', () => {
  for (const op of ['sum', 'prod', 'max', 'min'] as ReduceOp[]) {
    for (const dtype of ['float32', 'int32'] as DType[]) {
      it(`${op} ${dtype} over every subset of axes`, () => {
        let seed = 1;
        for (const shape of REDUCE_SHAPES) {
          const gen = dtype === 'int32' ? 'int' : op === 'prod' ? 'positive' : 'normal';
          const x = randomPair(dtype, shape, shape.length > 2 && sizeOf(shape) > 1e5 && op === 'prod' ? 'positive' : gen, seed++);
          for (const axes of subsets(shape.length)) {
            const outSize = sizeOf(shape.map((d, i) => (axes.includes(i) ? 1 : d)));
            const got = cpu.readSync(cpu.reduce(op, x.c, axes), dtype, outSize);
            expectClose(got, js.reduce(op, x.j, axes), 2e-5, 1e-5, `${op} [${shape}] axes ${axes}`);
          }
        }
      });
    }
  }
  it('empty reductions give the identity', () => {
    const x = pair('float32', [2, 0], new Float32Array(0));
    expect(Array.from(cpu.readSync(cpu.reduce('sum', x.c, [1]), 'float32', 2))).toEqual([0, 0]);
    expect(Array.from(cpu.readSync(cpu.reduce('max', x.c, [1]), 'float32', 2))).toEqual([-Infinity, -Infinity]);
    expect(Array.from(cpu.readSync(cpu.reduce('prod', x.c, [1]), 'float32', 2))).toEqual([1, 1]);
  });
  it('max propagates NaN', () => {
    const x = pair('float32', [4], new Float32Array([1, Number.NaN, 3, 2]));
    expect(cpu.readSync(cpu.reduce('max', x.c, [0]), 'float32', 1)[0]).toBeNaN();
  });
});

describe('argReduce matches the js backend', () => {
  for (const op of ['argmax', 'argmin'] as const) {
    it(`${op} on every axis, with ties and NaN`, () => {
      for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
        for (const shape of [[9], [3, 4, 5], [64, 33, 40], [2, 0, 3]]) {
          const x = randomPair(dtype, shape, dtype === 'float32' ? 'special' : dtype === 'bool' ? 'bool' : 'int', 3);
          for (let axis = 0; axis < shape.length; axis++) {
            const size = sizeOf(shape) / (shape[axis] || 1);
            const n = shape[axis] === 0 ? sizeOf(shape.filter((_, i) => i !== axis)) : size;
            expectClose(
              cpu.readSync(cpu.argReduce(op, x.c, axis), 'int32', n),
              js.argReduce(op, x.j, axis),
              0,
              0,
              `${op} ${dtype} [${shape}] ${axis}`,
            );
          }
        }
      }
    });
  }
});

describe('strided, concat and pad match the js backend', () => {
  it('strided: transpose, broadcast, slice with step, flip', () => {
    for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
      const x = randomPair(dtype, [4, 5, 6], dtype === 'bool' ? 'bool' : 'int', 1);
      const views: [number[], number[], number][] = [
        [[6, 5, 4], [1, 6, 30], 0], // transpose
        [[4, 3, 5, 6], [30, 0, 6, 1], 0], // expand
        [[2, 5, 3], [60, 6, 2], 31], // slice + step
        [[4, 5, 6], [30, 6, -1], 5], // flip last axis
        [[4, 5, 6], [-30, -6, -1], 119], // flip everything
        [[], [], 17], // one element
        [[0, 3], [1, 1], 0], // empty
      ];
      for (const [shape, strides, offset] of views) {
        expectClose(
          cpu.readSync(cpu.strided(x.c, shape, strides, offset), dtype, sizeOf(shape)),
          js.strided(x.j, shape, strides, offset),
          0,
          0,
          `${dtype} ${shape} ${strides} ${offset}`,
        );
      }
    }
    const big = randomPair('float32', [300, 400], 'normal', 2);
    expectClose(cpu.readSync(cpu.strided(big.c, [400, 300], [1, 400], 0), 'float32', 120_000), js.strided(big.j, [400, 300], [1, 400], 0));
  });
  it('concat along every axis, every dtype', () => {
    for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
      const g = dtype === 'bool' ? 'bool' : 'int';
      for (let axis = 0; axis < 3; axis++) {
        const shapes = [
          [2, 3, 4],
          [2, 3, 4],
          [2, 3, 4],
        ].map((s, i) => s.map((d, j) => (j === axis ? d + i - 1 : d)));
        const parts = shapes.map((s, i) => randomPair(dtype, s, g, i + 10));
        const outShape = shapes[0].map((d, j) => (j === axis ? shapes.reduce((acc, s) => acc + s[j], 0) : d));
        expectClose(
          cpu.readSync(
            cpu.concat(
              parts.map((p) => p.c),
              axis,
              outShape,
            ),
            dtype,
            sizeOf(outShape),
          ),
          js.concat(
            parts.map((p) => p.j),
            axis,
            outShape,
          ),
        );
      }
    }
    const a = randomPair('float32', [500, 100], 'normal', 1);
    const b = randomPair('float32', [500, 60], 'normal', 2);
    expectClose(cpu.readSync(cpu.concat([a.c, b.c], 1, [500, 160]), 'float32', 80_000), js.concat([a.j, b.j], 1, [500, 160]));
  });
  it('pad with a constant, every dtype', () => {
    for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
      const x = randomPair(dtype, [2, 1, 3], dtype === 'bool' ? 'bool' : 'int', 4);
      for (const pads of [
        [
          [0, 0],
          [0, 0],
          [0, 0],
        ],
        [
          [1, 2],
          [0, 3],
          [2, 1],
        ],
        [
          [0, 0],
          [2, 2],
          [0, 0],
        ],
      ] as [number, number][][]) {
        const outShape = [2, 1, 3].map((d, i) => d + pads[i][0] + pads[i][1]);
        expectClose(cpu.readSync(cpu.pad(x.c, pads, -1.5), dtype, sizeOf(outShape)), js.pad(x.j, pads, -1.5));
      }
    }
  });
});
