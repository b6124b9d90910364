/** NumPy broadcasting through binary, where and broadcastTo, with gradients summed back. */
import * as mge from '../../index.js';
import type { Case } from '../harness.js';
import { broadcastTo, nd, transpose, where, zip } from '../nd.js';

const PAIRS: [number[], number[]][] = [
  [
    [3, 1],
    [1, 4],
  ],
  [[2, 3, 4], [4]],
  [
    [2, 3, 4],
    [3, 1],
  ],
  [[5], []],
  [[], [2, 3]],
  [
    [2, 1, 3],
    [4, 1],
  ],
  [
    [1, 1],
    [3, 2],
  ],
  [[1], [1]],
  [
    [0, 3],
    [1, 3],
  ],
  [[2, 0, 1], [3]],
];

export function broadcastingCases(): Record<string, Case[]> {
  const binary: Case[] = [];
  for (const [sa, sb] of PAIRS) {
    binary.push({
      name: `add/mul [${sa}] with [${sb}]`,
      inputs: [{ shape: sa }, { shape: sb }],
      run: ([a, b]) => mge.add(mge.mul(a, b), a),
      ref: ([a, b]) =>
        zip(
          zip(a, b, (x, y) => x * y),
          a,
          (x, y) => x + y,
        ),
      grad: true,
    });
  }
  binary.push(
    {
      name: 'sub/div/maximum broadcast [4,1,3] with [2,1]',
      inputs: [{ shape: [4, 1, 3] }, { shape: [2, 1], gen: 'positive' }],
      run: ([a, b]) => mge.maximum(mge.div(mge.sub(a, b), b), mge.sub(b, 1.5)),
      ref: ([a, b]) =>
        zip(
          zip(
            zip(a, b, (x, y) => x - y),
            b,
            (x, y) => x / y,
          ),
          zip(b, nd([], [1.5]), (x, y) => x - y),
          Math.max,
        ),
      grad: true,
    },
    {
      name: 'comparison broadcast int32 [3,1] vs [4] gives bool',
      inputs: [
        { shape: [3, 1], gen: 'smallint' },
        { shape: [4], gen: 'smallint' },
      ],
      run: ([a, b]) => mge.lt(a, b),
      ref: ([a, b]) => zip(a, b, (x, y) => +(x < y), 'bool'),
    },
    {
      name: 'transposed view broadcast against a row',
      inputs: [{ shape: [4, 3] }, { shape: [1, 4] }],
      run: ([a, b]) => mge.mul(a.transpose(), b),
      ref: ([a, b]) => zip(transpose(a), b, (x, y) => x * y),
      grad: true,
    },
    {
      name: 'x op x.T (both operands views of one tensor)',
      inputs: [{ shape: [3, 3] }],
      run: ([a]) => mge.sub(mge.mul(a, a.transpose()), a),
      ref: ([a]) =>
        zip(
          zip(a, transpose(a), (x, y) => x * y),
          a,
          (x, y) => x - y,
        ),
      grad: true,
    },
  );
  const broadcastToCases: Case[] = [
    {
      name: 'broadcastTo [3,1] → [2,3,4]',
      inputs: [{ shape: [3, 1] }],
      run: ([x]) => mge.broadcastTo(x, [2, 3, 4]),
      ref: ([x]) => broadcastTo(x, [2, 3, 4]),
      grad: true,
    },
    {
      name: 'broadcastTo with -1 keeps a dimension',
      inputs: [{ shape: [1, 5] }],
      run: ([x]) => mge.broadcastTo(x, [3, -1]),
      ref: ([x]) => broadcastTo(x, [3, 5]),
      grad: true,
    },
    {
      name: 'broadcastTo int32 and bool',
      inputs: [
        { shape: [2, 1], gen: 'int' },
        { shape: [1, 3], gen: 'bool' },
      ],
      run: ([a, b]) => mge.concat([mge.broadcastTo(a, [2, 3]), mge.broadcastTo(b, [2, 3]).astype('int32')]),
      ref: ([a, b]) => nd([4, 3], [...broadcastTo(a, [2, 3]).data, ...broadcastTo(b, [2, 3]).data], 'int32'),
    },
    {
      name: 'broadcastTo a 0-d tensor and to a 0-size shape',
      inputs: [{ shape: [], values: [2.5] }, { shape: [1, 2] }],
      run: ([s, x]) => mge.concat([mge.broadcastTo(s, [1, 2]), mge.broadcastTo(x, [0, 2])]),
      ref: ([s]) => nd([1, 2], [s.data[0], s.data[0]]),
    },
  ];
  const whereCases: Case[] = [
    {
      name: 'where broadcasts cond [3,1], x [1,4], y []',
      inputs: [{ shape: [3, 1], gen: 'bool' }, { shape: [1, 4] }, { shape: [] }],
      run: ([c, a, b]) => mge.where(c, a, b),
      ref: ([c, a, b]) => where(c, a, b),
      grad: true,
    },
    {
      name: 'where with a comparison mask from the data',
      inputs: [{ shape: [2, 5] }, { shape: [5] }],
      run: ([a, b]) => mge.where(mge.gt(a, b), a, mge.mul(b, 2)),
      ref: ([a, b]) =>
        where(
          zip(a, b, (x, y) => +(x > y), 'bool'),
          a,
          zip(b, nd([], [2]), (x, y) => x * y),
        ),
      grad: true,
    },
  ];
  return { 'binary broadcasting': binary, broadcastTo: broadcastToCases, 'where broadcasting': whereCases };
}
