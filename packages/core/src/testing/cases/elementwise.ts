/** Unary and binary primitives, cast, and where: every op, every dtype it accepts. */
import type { BinaryOp, UnaryOp } from '../../backend.js';
import { binaryReference, UNARY_ROWS, unaryReference } from '../../elementwise/table.js';
import * as mge from '../../index.js';
import type { Tensor } from '../../tensor.js';
import type { Case } from '../harness.js';
import { asDType, map, type Nd, nd, where, zip } from '../nd.js';

/** Every numeric unary row of the table, with its float64 reference. */
const NUMERIC_UNARY = UNARY_ROWS.filter((r) => r.dtype !== 'logical');

const unaryFn = (op: UnaryOp) => (mge as unknown as Record<UnaryOp, (x: Tensor) => Tensor>)[op];
const binaryFn = (op: BinaryOp) => (mge as unknown as Record<BinaryOp, (a: mge.TensorLike, b: mge.TensorLike) => Tensor>)[op];

const COMPARE: BinaryOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];
const ARITH: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'];

function unaryCases(): Case[] {
  const cases: Case[] = [];
  for (const row of NUMERIC_UNARY) {
    const op = row.name;
    const gen = row.domain ?? 'normal';
    const ref = unaryReference(op);
    // piecewise-constant ops (sign, rounding) have no interesting gradient on a view
    const smooth = row.dtype !== 'rounding' && op !== 'sign';
    cases.push({
      name: `${op} float32 [3,4]`,
      inputs: [{ shape: [3, 4], gen }],
      run: ([x]) => unaryFn(op)(x),
      ref: ([x]) => map(x, ref),
      // piecewise-constant ops have zero gradient away from their jumps
      grad: true,
    });
    if (smooth) {
      cases.push({
        name: `${op} of a transposed stepped view`,
        inputs: [{ shape: [4, 6], gen: gen === 'normal' ? 'unit' : gen }],
        run: ([x]) => unaryFn(op)(x.transpose().index('::2', '::-1')),
        ref: ([x]) => map(sliceT(x), ref),
        grad: true,
      });
    }
  }
  return cases;
}

/** x.T[::2, ::-1] for a 2-d reference array. */
function sliceT(x: Nd): Nd {
  const [r, c] = x.shape;
  const rows: number[] = [];
  for (let i = 0; i < c; i += 2) for (let j = r - 1; j >= 0; j--) rows.push(x.data[j * c + i]);
  return nd([Math.ceil(c / 2), r], rows);
}

const handUnary: Case[] = [
  {
    name: 'round is half-to-even, floor and ceil on halves',
    inputs: [{ shape: [8], values: [0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6, 3.5] }],
    run: ([x]) => mge.stack([mge.round(x), mge.floor(x), mge.ceil(x)]),
    expect: nd([3, 8], [0, 2, 2, -0, -2, 2, -3, 4, 0, 1, 2, -1, -2, 2, -3, 3, 1, 2, 3, -0, -1, 3, -2, 4]),
  },
  {
    name: 'sign, abs and relu at zero and of negatives',
    inputs: [{ shape: [4], values: [-2, 0, 3, -0.25] }],
    run: ([x]) => mge.stack([mge.sign(x), mge.abs(x), mge.relu(x)]),
    expect: nd([3, 4], [-1, 0, 1, -1, 2, 0, 3, 0.25, 0, 0, 3, 0]),
  },
  {
    name: 'exp/log/sqrt/sigmoid/tanh of known points',
    inputs: [{ shape: [2], values: [0, 1] }],
    run: ([x]) => mge.stack([mge.exp(x), mge.sqrt(x), mge.sigmoid(x), mge.tanh(x), mge.sin(x), mge.cos(x), mge.erf(x)]),
    expect: nd(
      [7, 2],
      [1, Math.E, 0, 1, 0.5, 1 / (1 + Math.exp(-1)), 0, Math.tanh(1), 0, Math.sin(1), 1, Math.cos(1), 0, 0.8427007929497149],
    ),
  },
  {
    name: 'log of 0 is -inf, sqrt of a negative is NaN',
    inputs: [{ shape: [2], values: [0, -1] }],
    run: ([x]) => mge.stack([mge.log(x), mge.sqrt(x)]),
    expect: nd([2, 2], [-Infinity, NaN, 0, NaN]),
  },
  {
    name: 'sigmoid does not overflow at ±100',
    inputs: [{ shape: [2], values: [-100, 100] }],
    run: ([x]) => mge.sigmoid(x),
    expect: nd([2], [Math.fround(1 / (1 + Math.exp(100))), 1]),
  },
  {
    name: 'int32 neg/abs/sign stay int32',
    inputs: [{ shape: [2, 5], gen: 'int' }],
    run: ([x]) => mge.stack([mge.neg(x), mge.abs(x), mge.sign(x), mge.floor(x), mge.round(x)]),
    ref: ([x]) =>
      asDType(
        nd([5, ...x.shape], [...x.data.map((v) => -v), ...x.data.map(Math.abs), ...x.data.map(Math.sign), ...x.data, ...x.data]),
        'int32',
      ),
  },
  {
    name: 'int32 exp/sqrt compute in float32',
    inputs: [{ shape: [6], gen: 'smallint' }],
    run: ([x]) => mge.stack([mge.exp(x), mge.sqrt(x)]),
    ref: ([x]) => nd([2, 6], [...x.data.map(Math.exp), ...x.data.map(Math.sqrt)]),
  },
  {
    name: 'logicalNot of bool, of float and of int32',
    inputs: [
      { shape: [4], gen: 'bool' },
      { shape: [3], values: [0, 2.5, -1] },
      { shape: [3], dtype: 'int32', values: [0, 7, 0] },
    ],
    run: ([b, f, i]) => mge.concat([mge.logicalNot(b), mge.logicalNot(f), mge.logicalNot(i)]),
    ref: ([b]) => nd([10], [...b.data.map((v) => +!v), 1, 0, 0, 1, 0, 1], 'bool'),
  },
  {
    name: 'unary of a 0-size tensor keeps its shape',
    inputs: [{ shape: [0, 3] }],
    run: ([x]) => mge.exp(x),
    ref: ([x]) => map(x, Math.exp),
  },
  {
    name: 'unary of a 0-d tensor',
    inputs: [{ shape: [], values: [0.3] }],
    run: ([x]) => mge.tanh(x),
    ref: ([x]) => map(x, Math.tanh),
    grad: true,
  },
];

function binaryCases(): Case[] {
  const cases: Case[] = [];
  for (const op of ARITH) {
    const pos = op === 'pow' || op === 'div';
    cases.push({
      name: `${op} float32 [2,3]`,
      inputs: [
        { shape: [2, 3], gen: op === 'pow' ? 'positive' : 'normal' },
        { shape: [2, 3], gen: pos ? 'positive' : 'normal' },
      ],
      run: ([a, b]) => binaryFn(op)(a, b),
      ref: ([a, b]) => zip(a, b, binaryReference(op)),
      grad: true,
    });
    if (op !== 'div') {
      cases.push({
        name: `${op} int32 stays int32`,
        inputs: [
          { shape: [3, 4], gen: op === 'pow' ? 'int' : 'int' },
          { shape: [3, 4], gen: op === 'pow' ? 'smallint' : 'int' },
        ],
        run: ([a, b]) => binaryFn(op)(a, b),
        ref: ([a, b]) => zip(a, b, binaryReference(op, 'int32'), 'int32'),
      });
    }
  }
  for (const op of COMPARE) {
    cases.push({
      name: `${op} float32 with ties gives bool`,
      inputs: [
        { shape: [6], values: [1, 2, 3, -1, 0, 5] },
        { shape: [6], values: [1, 5, 2, -1, -0, 6] },
      ],
      run: ([a, b]) => binaryFn(op)(a, b),
      ref: ([a, b]) => zip(a, b, binaryReference(op), 'bool'),
    });
    cases.push({
      name: `${op} int32 gives bool`,
      inputs: [
        { shape: [4, 5], gen: 'smallint' },
        { shape: [4, 5], gen: 'smallint' },
      ],
      run: ([a, b]) => binaryFn(op)(a, b),
      ref: ([a, b]) => zip(a, b, binaryReference(op), 'bool'),
    });
  }
  cases.push(
    {
      name: 'eq/ne on bools',
      inputs: [
        { shape: [8], gen: 'bool' },
        { shape: [8], gen: 'bool' },
      ],
      run: ([a, b]) => mge.concat([mge.eq(a, b), mge.ne(a, b)]),
      ref: ([a, b]) => nd([16], [...zip(a, b, binaryReference('eq')).data, ...zip(a, b, binaryReference('ne')).data], 'bool'),
    },
    {
      name: 'logicalAnd/logicalOr truth table',
      inputs: [
        { shape: [4], dtype: 'bool', values: [0, 0, 1, 1] },
        { shape: [4], dtype: 'bool', values: [0, 1, 0, 1] },
      ],
      run: ([a, b]) => mge.stack([mge.logicalAnd(a, b), mge.logicalOr(a, b)]),
      expect: nd([2, 4], [0, 0, 0, 1, 0, 1, 1, 1], 'bool'),
    },
    {
      name: 'logicalAnd of floats casts them to bool',
      inputs: [
        { shape: [3], values: [0, 0.5, -2] },
        { shape: [3], values: [3, 1, 0] },
      ],
      run: ([a, b]) => mge.logicalAnd(a, b),
      expect: nd([3], [0, 1, 0], 'bool'),
    },
    {
      name: 'int32 division is true division in float32',
      inputs: [
        { shape: [4], dtype: 'int32', values: [7, -7, 1, 0] },
        { shape: [4], dtype: 'int32', values: [2, 2, 3, 5] },
      ],
      run: ([a, b]) => mge.div(a, b),
      expect: nd([4], [3.5, -3.5, 1 / 3, 0]),
    },
    {
      name: 'int32 mul wraps around like int32',
      inputs: [
        { shape: [2], dtype: 'int32', values: [65536, -3] },
        { shape: [2], dtype: 'int32', values: [65536, 5] },
      ],
      run: ([a, b]) => mge.mul(a, b),
      expect: nd([2], [0, -15], 'int32'),
    },
    {
      name: 'int32 + float32 promotes to float32',
      inputs: [
        { shape: [3], dtype: 'int32', values: [1, 2, 3] },
        { shape: [3], values: [0.5, 0.25, -1] },
      ],
      run: ([a, b]) => mge.add(a, b),
      expect: nd([3], [1.5, 2.25, 2]),
    },
    {
      name: 'bool + bool counts in int32',
      inputs: [
        { shape: [3], dtype: 'bool', values: [1, 1, 0] },
        { shape: [3], dtype: 'bool', values: [1, 0, 0] },
      ],
      run: ([a, b]) => mge.add(a, b),
      expect: nd([3], [2, 1, 0], 'int32'),
    },
    {
      name: 'scalars: int32 tensor with an int stays int32, with a fraction becomes float32',
      inputs: [{ shape: [3], dtype: 'int32', values: [1, 2, 3] }],
      run: ([a]) => mge.concat([mge.add(a, 2).astype('float32'), mge.mul(a, 1.5), mge.sub(10, a).astype('float32')]),
      expect: nd([9], [3, 4, 5, 1.5, 3, 4.5, 9, 8, 7]),
    },
    {
      name: 'scalar on the left: 1 / x and 2 ** x',
      inputs: [{ shape: [2, 2], gen: 'positive' }],
      run: ([x]) => mge.add(mge.div(1, x), mge.pow(2, x)),
      ref: ([x]) => map(x, (v) => 1 / v + 2 ** v),
      grad: true,
    },
    {
      name: 'maximum/minimum propagate NaN',
      inputs: [
        { shape: [2], values: [NaN, 1] },
        { shape: [2], values: [0, NaN] },
      ],
      run: ([a, b]) => mge.stack([mge.maximum(a, b), mge.minimum(a, b)]),
      expect: nd([2, 2], [NaN, NaN, NaN, NaN]),
    },
    {
      name: 'binary on 0-size tensors',
      inputs: [{ shape: [2, 0] }, { shape: [2, 0] }],
      run: ([a, b]) => mge.mul(a, b),
      ref: ([a, b]) => zip(a, b, binaryReference('mul')),
    },
    {
      name: 'binary on a transposed view and a negative-step slice',
      inputs: [{ shape: [3, 4] }, { shape: [4, 3] }],
      run: ([a, b]) => mge.mul(a.transpose(), b.index({ step: -1 })),
      ref: ([a, b]) => {
        const at = nd(
          [4, 3],
          Array.from({ length: 12 }, (_, k) => a.data[(k % 3) * 4 + Math.floor(k / 3)]),
        );
        const bf = nd(
          [4, 3],
          Array.from({ length: 12 }, (_, k) => b.data[(3 - Math.floor(k / 3)) * 3 + (k % 3)]),
        );
        return zip(at, bf, binaryReference('mul'));
      },
      grad: true,
    },
  );
  return cases;
}

const CASTS: [mge.DType, mge.DType][] = [
  ['float32', 'int32'],
  ['float32', 'bool'],
  ['int32', 'float32'],
  ['int32', 'bool'],
  ['bool', 'float32'],
  ['bool', 'int32'],
];

const castCases: Case[] = [
  {
    name: 'astype float32 → int32 truncates toward zero',
    inputs: [{ shape: [6], values: [1.7, -1.7, 2.5, -0.2, 0, 1e6] }],
    run: ([x]) => x.astype('int32'),
    expect: nd([6], [1, -1, 2, 0, 0, 1e6], 'int32'),
  },
  {
    name: 'astype to bool is x ≠ 0',
    inputs: [{ shape: [4], values: [0, -0, 0.1, NaN] }],
    run: ([x]) => x.astype('bool'),
    expect: nd([4], [0, 0, 1, 1], 'bool'),
  },
  ...CASTS.map(
    ([from, to]): Case => ({
      name: `astype ${from} → ${to}`,
      inputs: [{ shape: [3, 5], dtype: from, gen: from === 'bool' ? 'bool' : from === 'int32' ? 'int' : 'normal' }],
      run: ([x]) => x.astype(to),
      ref: ([x]) => asDType(x, to),
    }),
  ),
  {
    name: 'astype of a transposed view',
    inputs: [{ shape: [2, 3], gen: 'int' }],
    run: ([x]) => x.transpose().astype('float32'),
    ref: ([x]) =>
      asDType(
        nd(
          [3, 2],
          [0, 3, 1, 4, 2, 5].map((i) => x.data[i]),
          'int32',
        ),
        'float32',
      ),
  },
];

const whereCases: Case[] = [
  {
    name: 'where float32 with gradient to both branches',
    inputs: [{ shape: [3, 4], gen: 'bool' }, { shape: [3, 4] }, { shape: [3, 4] }],
    run: ([c, a, b]) => mge.where(c, a, b),
    ref: ([c, a, b]) => where(c, a, b),
    grad: true,
  },
  {
    name: 'where int32 and bool branches',
    inputs: [
      { shape: [6], gen: 'bool' },
      { shape: [6], gen: 'int' },
      { shape: [6], gen: 'int' },
      { shape: [6], gen: 'bool' },
    ],
    run: ([c, a, b, d]) => mge.concat([mge.where(c, a, b), mge.where(c, d, mge.logicalNot(d)).astype('int32')]),
    ref: ([c, a, b, d]) =>
      nd(
        [12],
        [
          ...where(c, a, b).data,
          ...where(
            c,
            d,
            map(d, (v) => +!v),
          ).data,
        ],
        'int32',
      ),
  },
  {
    name: 'where with a float mask and scalar branches',
    inputs: [{ shape: [4], values: [0, 1, -2, 0] }],
    run: ([m]) => mge.where(m, 1, -1),
    expect: nd([4], [-1, 1, 1, -1]),
  },
];

const f32 = Math.fround;

const scaledAddCases: Case[] = [
  ...[
    [0.9, 1, [3, 5]],
    [1, -0.01, [2, 3, 4]],
    [0.999, 0.001, [70000]], // past the cpu backend's threading threshold
  ].map(
    ([alpha, beta, shape]): Case => ({
      name: `scaledAdd ${alpha}·a + ${beta}·b [${shape}]`,
      inputs: [{ shape: shape as number[] }, { shape: shape as number[] }],
      run: ([a, b]) => mge.scaledAdd(a, b, alpha as number, beta as number),
      ref: ([a, b]) => zip(a, b, (x, y) => (alpha as number) * x + (beta as number) * y),
      grad: (shape as number[]).length > 1,
    }),
  ),
  {
    name: 'scaledAdd is exact where mul, mul, add are (the optimizers rely on it)',
    inputs: [
      { shape: [5], values: [1, -0, 3e38, 0.1, -2] },
      { shape: [5], values: [-0, -0, 3e38, 0.2, 1e-45] },
    ],
    run: ([a, b]) => mge.scaledAdd(a, b, 2, 1),
    expect: nd([5], [2, -0, Number.POSITIVE_INFINITY, f32(f32(0.2) + f32(0.2)), -4 + 1e-45].map(f32)),
  },
];

const mulSignCases: Case[] = [
  ...[[3, 5], [70000]].map(
    (shape): Case => ({
      name: `mulSign a·sign(b) [${shape}]`,
      inputs: [{ shape }, { shape }],
      run: ([a, b]) => mge.mulSign(a, b),
      ref: ([a, b]) => zip(a, b, (x, y) => x * Math.sign(y)),
      grad: shape.length > 1,
    }),
  ),
  {
    name: 'mulSign keeps the signed zeros and NaNs of mul(a, sign(b))',
    inputs: [
      { shape: [6], values: [2, -2, 3, -3, Number.POSITIVE_INFINITY, 1] },
      { shape: [6], values: [0, 0, -0, 5, 0, Number.NaN] },
    ],
    run: ([a, b]) => mge.mulSign(a, b),
    expect: nd([6], [0, -0, -0, -3, Number.NaN, Number.NaN]),
  },
  {
    name: "relu's gradient through mulSign",
    inputs: [{ shape: [4], values: [-1, 0.5, 2, -0.25] }],
    run: ([x]) => {
      const gm = new mge.GradManager().attach([x]);
      gm.record();
      const y = mge.relu(x);
      gm.backward(mge.sum(mge.mul(y, 3)));
      return x.grad as Tensor;
    },
    expect: nd([4], [0, 3, 3, 0]),
  },
];

export function elementwiseCases(): Record<string, Case[]> {
  return {
    unary: [...unaryCases(), ...handUnary],
    binary: binaryCases(),
    cast: castCases,
    where: whereCases,
    scaledAdd: scaledAddCases,
    mulSign: mulSignCases,
  };
}
