/**
 * The strided gather (transpose, slices with steps, negative steps, flips, new axes),
 * reshape, concat/stack/split and pad, on float32, int32 and bool.
 */
import * as mge from '../../index.js';
import type { Case } from '../harness.js';
import { concat, nd, pad, reshape, slice, take, transpose } from '../nd.js';

const S = (start: number | null, stop: number | null, step?: number): [number | null, number | null, number?] => [start, stop, step];

export function movementCases(): Record<string, Case[]> {
  const transposeCases: Case[] = [
    {
      name: 'transpose 2-d',
      inputs: [{ shape: [3, 5] }],
      run: ([x]) => x.transpose(),
      ref: ([x]) => transpose(x),
      grad: true,
    },
    {
      name: 'transpose 4-d pattern [2,0,3,1]',
      inputs: [{ shape: [2, 3, 4, 5] }],
      run: ([x]) => mge.transpose(x, [2, 0, 3, 1]),
      ref: ([x]) => transpose(x, [2, 0, 3, 1]),
      grad: true,
    },
    {
      name: 'transpose of a transpose, int32 and bool',
      inputs: [
        { shape: [2, 3, 4], gen: 'int' },
        { shape: [3, 2], gen: 'bool' },
      ],
      run: ([a, b]) => mge.concat([a.transpose(1, 2, 0).transpose(2, 0, 1).flatten(), b.T.flatten().astype('int32')]),
      ref: ([a, b]) => nd([24 + 6], [...a.data, ...transpose(b).data], 'int32'),
    },
    {
      name: 'transpose of 0-size and size-1 tensors',
      inputs: [{ shape: [0, 3] }, { shape: [1, 1, 4] }],
      run: ([a, b]) => mge.concat([a.transpose().reshape(-1), b.transpose(2, 0, 1).reshape(-1)]),
      ref: ([, b]) => nd([4], b.data),
    },
  ];

  const indexCases: Case[] = [
    {
      name: 'slices with steps on every axis',
      inputs: [{ shape: [5, 6, 7] }],
      run: ([x]) => x.index('1:5:2', { start: 0, step: 3 }, '::4'),
      ref: ([x]) => slice(x, S(1, 5, 2), S(0, null, 3), S(null, null, 4)),
      grad: true,
    },
    {
      name: 'negative steps and negative bounds',
      inputs: [{ shape: [6, 5] }],
      run: ([x]) => x.index({ start: -2, stop: 0, step: -2 }, '::-1'),
      ref: ([x]) => slice(x, S(-2, 0, -2), S(null, null, -1)),
      grad: true,
    },
    {
      name: 'integer indices drop axes, negative integers count from the end',
      inputs: [{ shape: [3, 4, 5] }],
      run: ([x]) => x.index(-1, '1:3', 2),
      ref: ([x]) => slice(x, 2, S(1, 3), 2),
      grad: true,
    },
    {
      name: 'null inserts axes and ... fills the rest',
      inputs: [{ shape: [2, 3, 4] }],
      run: ([x]) => x.index(null, '...', '::-2', null),
      ref: ([x]) => reshape(slice(x, S(null, null), S(null, null), S(null, null, -2)), [1, 2, 3, 2, 1]),
      grad: true,
    },
    {
      name: 'an empty slice gives a 0-size tensor',
      inputs: [{ shape: [4, 3] }],
      run: ([x]) => x.index('2:2'),
      ref: ([x]) => slice(x, S(2, 2), S(null, null)),
    },
    {
      name: 'out-of-range slice bounds are clamped',
      inputs: [{ shape: [4] }],
      run: ([x]) => mge.concat([x.index('-10:10'), x.index({ start: 10, stop: -10, step: -3 })]),
      ref: ([x]) => concat([slice(x, S(-10, 10)), slice(x, S(10, -10, -3))], 0),
    },
    {
      name: 'slice of a slice (a view of a view)',
      inputs: [{ shape: [8, 8] }],
      run: ([x]) => x.index('1:', '::-1').index('::3', '2:6:2'),
      ref: ([x]) => slice(slice(x, S(1, null), S(null, null, -1)), S(null, null, 3), S(2, 6, 2)),
      grad: true,
    },
    {
      name: 'indexing int32 and bool',
      inputs: [
        { shape: [4, 5], gen: 'int' },
        { shape: [4, 5], gen: 'bool' },
      ],
      run: ([a, b]) => mge.concat([a.index('::-1', 1), b.index(2, '::2').astype('int32')]),
      ref: ([a, b]) => concat([slice(a, S(null, null, -1), 1), { ...slice(b, 2, S(null, null, 2)), dtype: 'int32' }], 0),
    },
    {
      name: 'flip along each axis',
      inputs: [{ shape: [3, 4] }],
      run: ([x]) => mge.concat([mge.flip(x, 0), mge.flip(x, -1)]),
      ref: ([x]) => concat([take(x, 0, [2, 1, 0]), take(x, 1, [3, 2, 1, 0])], 0),
      grad: true,
    },
  ];

  const reshapeCases: Case[] = [
    {
      name: 'reshape with -1, flatten, squeeze, unsqueeze',
      inputs: [{ shape: [2, 3, 4] }],
      run: ([x]) => x.reshape(4, -1).unsqueeze(0).squeeze(0).flatten().reshape([2, 1, 12]).squeeze(),
      ref: ([x]) => reshape(x, [2, 12]),
      grad: true,
    },
    {
      name: 'reshape of a transposed view copies in logical order',
      inputs: [{ shape: [3, 4] }],
      run: ([x]) => x.transpose().reshape(2, 6),
      ref: ([x]) => reshape(transpose(x), [2, 6]),
      grad: true,
    },
    {
      name: 'flatten(startAxis, endAxis)',
      inputs: [{ shape: [2, 3, 4, 5], gen: 'int' }],
      run: ([x]) => mge.flatten(x, 1, 2),
      ref: ([x]) => reshape(x, [2, 12, 5]),
    },
  ];

  const concatCases: Case[] = [
    {
      name: 'concat along axis 0 and 1',
      inputs: [{ shape: [2, 3] }, { shape: [1, 3] }, { shape: [3, 2] }],
      run: ([a, b, c]) => mge.concat([mge.concat([a, b], 0), c], 1),
      ref: ([a, b, c]) => concat([concat([a, b], 0), c], 1),
      grad: true,
    },
    {
      name: 'concat with a 0-size part and a negative axis',
      inputs: [{ shape: [2, 0] }, { shape: [2, 3] }, { shape: [2, 1] }],
      run: ([a, b, c]) => mge.concat([a, b, c], -1),
      ref: ([a, b, c]) => concat([a, b, c], 1),
      grad: true,
    },
    {
      name: 'concat of non-contiguous views',
      inputs: [{ shape: [3, 4] }, { shape: [4, 2] }],
      run: ([a, b]) => mge.concat([a.transpose(), b.index({ step: -1 })], 1),
      ref: ([a, b]) => concat([transpose(a), slice(b, S(null, null, -1), S(null, null))], 1),
      grad: true,
    },
    {
      name: 'concat int32 and bool',
      inputs: [
        { shape: [2, 2], gen: 'int' },
        { shape: [1, 2], gen: 'int' },
        { shape: [3], gen: 'bool' },
        { shape: [2], gen: 'bool' },
      ],
      run: ([a, b, c, d]) => mge.concat([mge.concat([a, b]).flatten(), mge.concat([c, d]).astype('int32')]),
      ref: ([a, b, c, d]) => nd([11], [...a.data, ...b.data, ...c.data, ...d.data], 'int32'),
    },
    {
      name: 'stack on a new middle axis',
      inputs: [{ shape: [2, 3] }, { shape: [2, 3] }],
      run: ([a, b]) => mge.stack([a, b], 1),
      ref: ([a, b]) => concat([reshape(a, [2, 1, 3]), reshape(b, [2, 1, 3])], 1),
      grad: true,
    },
    {
      name: 'split into equal parts and at boundaries',
      inputs: [{ shape: [6, 2] }],
      run: ([x]) => {
        const [p, q, r] = mge.split(x, 3);
        const [s, t] = mge.split(x, [4], 0);
        return mge.concat([r, q, p, t, s]);
      },
      ref: ([x]) => concat([take(x, 0, [4, 5]), take(x, 0, [2, 3]), take(x, 0, [0, 1]), take(x, 0, [4, 5]), take(x, 0, [0, 1, 2, 3])], 0),
      grad: true,
    },
  ];

  const padCases: Case[] = [
    {
      name: 'pad every axis with zeros',
      inputs: [{ shape: [2, 3] }],
      run: ([x]) =>
        mge.pad(x, [
          [1, 2],
          [0, 3],
        ]),
      ref: ([x]) =>
        pad(x, [
          [1, 2],
          [0, 3],
        ]),
      grad: true,
    },
    {
      name: 'pad with a value, leading axes only',
      inputs: [{ shape: [2, 2, 2] }],
      run: ([x]) => mge.pad(x, [[0, 1]], -1.5),
      ref: ([x]) => pad(x, [[0, 1]], -1.5),
      grad: true,
    },
    {
      name: 'pad a transposed view (NCHW-style spatial padding)',
      inputs: [{ shape: [3, 2, 4] }],
      run: ([x]) =>
        mge.pad(mge.transpose(x, [1, 0, 2]), [
          [0, 0],
          [2, 1],
          [1, 1],
        ]),
      ref: ([x]) =>
        pad(transpose(x, [1, 0, 2]), [
          [0, 0],
          [2, 1],
          [1, 1],
        ]),
      grad: true,
    },
    {
      name: 'pad int32 and bool',
      inputs: [
        { shape: [2], gen: 'int' },
        { shape: [2], gen: 'bool' },
      ],
      run: ([a, b]) => mge.concat([mge.pad(a, [[1, 1]], 7), mge.pad(b, [[2, 0]], 1).astype('int32')]),
      ref: ([a, b]) => nd([8], [7, a.data[0], a.data[1], 7, 1, 1, b.data[0], b.data[1]], 'int32'),
    },
    {
      name: 'pad a 0-size tensor',
      inputs: [{ shape: [0, 2] }],
      run: ([x]) =>
        mge.pad(
          x,
          [
            [1, 0],
            [0, 1],
          ],
          3,
        ),
      expect: nd([1, 3], [3, 3, 3]),
    },
  ];
  return {
    transpose: transposeCases,
    'indexing and slicing': indexCases,
    reshape: reshapeCases,
    'concat/stack/split': concatCases,
    pad: padCases,
  };
}
