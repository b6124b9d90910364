/** gather, scatterAdd, argsort and topk (kernels or core's composed defaults), forward and gradient. */
import * as mge from '../../index.js';
import type { Case } from '../harness.js';
import { at, build, type Nd, nd } from '../nd.js';

function refGather(x: Nd, index: Nd, axis: number): Nd {
  return build(index.shape, x.dtype, (i) => {
    const src = [...i];
    src[axis] = at(index, i);
    return at(x, src);
  });
}

function refScatterAdd(x: Nd, index: Nd, src: Nd, axis: number): Nd {
  const data = Float64Array.from(x.data);
  const strides = x.shape.map((_, d) => x.shape.slice(d + 1).reduce((a, b) => a * b, 1));
  build(index.shape, 'float32', (i) => {
    const dst = [...i];
    dst[axis] = at(index, i);
    data[dst.reduce((s, v, d) => s + v * strides[d], 0)] += at(src, i);
    return 0;
  });
  return { shape: x.shape, data, dtype: x.dtype };
}

/** Deterministic in-range indices of `shape` for an axis of size n. */
function indices(shape: number[], n: number, seed: number): number[] {
  const size = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: size }, (_, i) => (i * 7 + seed * 3 + ((i * i) % 5)) % n);
}

export function indexingCases(): Record<string, Case[]> {
  const gather: Case[] = [];
  const specs: { x: number[]; index: number[]; axis: number }[] = [
    { x: [5], index: [7], axis: 0 },
    { x: [3, 4], index: [3, 6], axis: 1 },
    { x: [4, 3], index: [2, 3], axis: 0 },
    { x: [2, 5, 3], index: [2, 4, 2], axis: 1 },
    { x: [2, 3, 4], index: [1, 3, 5], axis: -1 },
    { x: [0, 4], index: [0, 2], axis: 1 },
  ];
  specs.forEach((s, k) => {
    const axis = s.axis < 0 ? s.axis + s.x.length : s.axis;
    const idx = indices(s.index, s.x[axis], k);
    gather.push({
      name: `gather x[${s.x}] index[${s.index}] axis ${s.axis}`,
      inputs: [{ shape: s.x }, { shape: s.index, dtype: 'int32', values: idx }],
      run: ([x, i]) => mge.gather(x, s.axis, i),
      ref: ([x, i]) => refGather(x, i, axis),
      grad: true,
    });
    gather.push({
      name: `scatterAdd x[${s.x}] index[${s.index}] axis ${s.axis} (repeated positions add up)`,
      inputs: [{ shape: s.x }, { shape: s.index, dtype: 'int32', values: idx }, { shape: s.index }],
      run: ([x, i, src]) => mge.scatterAdd(x, s.axis, i, src),
      ref: ([x, i, src]) => refScatterAdd(x, i, src, axis),
      grad: true,
    });
  });
  gather.push(
    {
      name: 'gather of int32 values',
      inputs: [
        { shape: [2, 3], gen: 'int' },
        { shape: [2, 2], dtype: 'int32', values: [2, 0, 1, 1] },
      ],
      run: ([x, i]) => mge.gather(x, 1, i),
      ref: ([x, i]) => refGather(x, i, 1),
    },
    {
      name: 'gather hand-computed',
      inputs: [
        { shape: [2, 3], values: [1, 2, 3, 4, 5, 6] },
        { shape: [2, 2], dtype: 'int32', values: [2, 0, 1, 1] },
      ],
      run: ([x, i]) => mge.gather(x, 1, i),
      expect: nd([2, 2], [3, 1, 5, 5]),
    },
  );
  const sort: Case[] = [];
  for (const [shape, axis, descending] of [
    [[7], 0, false],
    [[3, 5], 1, false],
    [[3, 5], 1, true],
    [[4, 3], 0, false],
    [[2, 3, 4], 1, true],
    [[1, 1], -1, false],
  ] as [number[], number, boolean][]) {
    sort.push({
      name: `argsort x[${shape}] axis ${axis}${descending ? ' descending' : ''}`,
      inputs: [{ shape, gen: 'distinct' }],
      run: ([x]) => mge.argsort(x, descending, axis),
      ref: ([x]) => refArgsort(x, axis < 0 ? axis + shape.length : axis, descending),
    });
  }
  sort.push({
    name: 'argsort is stable: ties keep their order',
    inputs: [{ shape: [2, 5], values: [1, 0, 1, 0, 1, 2, 2, 1, 1, 2] }],
    run: ([x]) => mge.concat([mge.argsort(x), mge.argsort(x, true)], 1),
    expect: nd([2, 10], [1, 3, 0, 2, 4, 0, 2, 4, 1, 3, 2, 3, 0, 1, 4, 0, 1, 4, 2, 3], 'int32'),
  });
  sort.push({
    name: 'argsort of int32',
    inputs: [{ shape: [6], dtype: 'int32', values: [5, -1, 3, 3, 0, -7] }],
    run: ([x]) => mge.argsort(x),
    expect: nd([6], [5, 1, 4, 2, 3, 0], 'int32'),
  });
  const top: Case[] = [];
  for (const [shape, k, axis, descending] of [
    [[7], 3, 0, false],
    [[3, 40], 5, 1, false],
    [[3, 40], 5, 1, true],
    [[3, 9], 9, -1, true],
    [[5, 3], 2, 0, false],
    [[2, 6, 3], 4, 1, true],
    [[1, 1], 1, -1, false],
  ] as [number[], number, number, boolean][]) {
    top.push({
      name: `topkIndices x[${shape}] k ${k} axis ${axis}${descending ? ' descending' : ''}`,
      inputs: [{ shape, gen: 'distinct' }],
      run: ([x]) => mge.topkIndices(x, k, descending, axis),
      ref: ([x]) => refTopk(x, k, axis < 0 ? axis + shape.length : axis, descending),
    });
  }
  top.push({
    name: 'topkIndices keeps argsort order on ties',
    inputs: [{ shape: [2, 12], values: [1, 0, 1, 0, 1, 2, 2, 1, 1, 2, 0, 1, 3, 9, 3, 0, 5, 5, 9, 0, 5, 1, 1, 0] }],
    run: ([x]) => mge.concat([mge.topkIndices(x, 4), mge.topkIndices(x, 4, true), mge.topkIndices(x, 12)], 1),
    expect: nd(
      [2, 20],
      [
        ...[1, 3, 10, 0, 5, 6, 9, 0, 1, 3, 10, 0, 2, 4, 7, 8, 11, 5, 6, 9],
        ...[3, 7, 11, 9, 1, 6, 4, 5, 3, 7, 11, 9, 10, 0, 2, 4, 5, 8, 1, 6],
      ],
      'int32',
    ),
  });
  top.push({
    name: 'topkIndices of int32',
    inputs: [{ shape: [6], dtype: 'int32', values: [5, -1, 3, 3, 0, -7] }],
    run: ([x]) => mge.topkIndices(x, 3, true),
    expect: nd([3], [0, 2, 3], 'int32'),
  });
  return { 'gather and scatterAdd': gather, argsort: sort, topk: top };
}

function refTopk(x: Nd, k: number, axis: number, descending: boolean): Nd {
  const order = refArgsort(x, axis, descending);
  return build(
    x.shape.map((d, i) => (i === axis ? k : d)),
    'int32',
    (i) => at(order, i),
  );
}

function refArgsort(x: Nd, axis: number, descending: boolean): Nd {
  const n = x.shape[axis];
  return build(x.shape, 'int32', (i) => {
    const line = Array.from({ length: n }, (_, j) => {
      const p = [...i];
      p[axis] = j;
      return at(x, p);
    });
    const order = [...line.keys()].sort((a, b) => (descending ? line[b] - line[a] : line[a] - line[b]) || a - b);
    return order[i[axis]];
  });
}
