import { describe, expect, it } from 'vitest';
import {
  BINARY_OPS,
  type BinaryOp,
  type Conv2dParams,
  type MatmulParams,
  type Pool2dParams,
  type ReduceOp,
  type TensorRef,
  UNARY_OPS,
} from '../src/backend.js';
import { JsBackend } from '../src/backends/js/index.js';
import { erf } from '../src/backends/js/scalar.js';
import type { DataArray, DType } from '../src/dtype.js';
import { erfSeries } from '../src/elementwise/reference.js';
import { binaryReference, unaryReference } from '../src/elementwise/table.js';

// ---- helpers ----------------------------------------------------------------

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(12345);
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const randF = (n: number) => Float32Array.from({ length: n }, () => rand() * 4 - 2);
const randI = (n: number, lo = -50, hi = 50) => Int32Array.from({ length: n }, () => lo + Math.floor(rand() * (hi - lo + 1)));
const randB = (n: number) => Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0));
function randOf(dtype: DType, n: number): DataArray {
  return dtype === 'float32' ? randF(n) : dtype === 'int32' ? randI(n) : randB(n);
}
function ref<T extends DataArray>(buf: T, shape: readonly number[]): TensorRef<DataArray> {
  const dtype: DType = buf instanceof Float32Array ? 'float32' : buf instanceof Int32Array ? 'int32' : 'bool';
  return { buf, shape, dtype };
}
/** Multi-index of flat position i in a row-major shape. */
function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}
function ravel(idx: readonly number[], shape: readonly number[]): number {
  let f = 0;
  for (let d = 0; d < shape.length; d++) f = f * shape[d] + idx[d];
  return f;
}
/** Element of a (possibly broadcast) array at the output multi-index. */
function at(data: ArrayLike<number>, shape: readonly number[], idx: readonly number[]): number {
  return data[
    ravel(
      idx.map((v, d) => (shape[d] === 1 ? 0 : v)),
      shape,
    )
  ];
}
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w)) {
      expect(g, `index ${i}`).toBeNaN();
      continue;
    }
    if (!Number.isFinite(w)) {
      expect(g, `index ${i}`).toBe(w);
      continue;
    }
    const err = Math.abs(g - w);
    if (!(err <= tol * (1 + Math.abs(w)))) throw new Error(`index ${i}: got ${g}, want ${w} (err ${err})`);
  }
}

const be = new JsBackend();

// ---- memory -----------------------------------------------------------------

describe('JsBackend memory', () => {
  it('counts live buffers and bytes, and copies on upload/read', async () => {
    const m = new JsBackend();
    expect(m.memory()).toEqual({ liveBuffers: 0, liveBytes: 0, pooledBytes: 0 });
    const a = m.allocate('float32', 10);
    expect(Array.from(a)).toEqual(new Array(10).fill(0));
    const src = Int32Array.from([1, 2, 3]);
    const b = m.upload(src);
    src[0] = 99;
    expect(Array.from(m.readSync(b, 'int32', 3))).toEqual([1, 2, 3]);
    expect(m.memory()).toEqual({ liveBuffers: 2, liveBytes: 52, pooledBytes: 0 });
    const c = m.unary('neg', ref(b, [3]));
    expect(m.memory().liveBuffers).toBe(3);
    const read = await m.read(c, 'int32', 3);
    expect(Array.from(read)).toEqual([-1, -2, -3]);
    read[0] = 7;
    expect(c[0]).toBe(-1);
    m.release(a);
    m.release(b);
    m.release(c);
    expect(m.memory()).toEqual({ liveBuffers: 0, liveBytes: 0, pooledBytes: 0 });
    expect(() => m.release({} as never)).toThrow(/JsBackend.release/);
  });

  it('validates arguments with the operator name', () => {
    expect(() => be.allocate('float32', -1)).toThrow(/allocate.*'size'/);
    expect(() => be.allocate('float64' as DType, 1)).toThrow(/allocate.*'dtype'/);
    expect(() => be.unary('neg', { buf: new Float32Array(3), shape: [4], dtype: 'float32' })).toThrow(
      /unary: argument 'x' expected Float32Array of 4 elements/,
    );
    expect(() => be.binary('add', ref(new Int32Array(2), [2]), { buf: new Int32Array(2), shape: [2], dtype: 'float32' }, [2])).toThrow(
      /add: argument 'b'/,
    );
    const p: MatmulParams = { batch: 1, m: 2, n: 2, k: 2, transA: false, transB: false, batchA: 1, batchB: 1 };
    expect(() => be.matmul(ref(new Int32Array(4), [2, 2]), ref(new Float32Array(4), [2, 2]), p)).toThrow(/matmul.*'a'.*float32/);
  });
});

// ---- elementwise ------------------------------------------------------------

describe('JsBackend unary', () => {
  it('matches Math on random float32 input for every float op', () => {
    const x = randF(257).map((v) => v * 3);
    for (const op of UNARY_OPS) {
      if (op === 'logicalNot' || op === 'round') continue;
      const y = be.unary(op, ref(x, [257]));
      expect(y).toBeInstanceOf(Float32Array);
      expectClose(y, Array.from(x, unaryReference(op)), 1e-6);
    }
  });

  it('round is half-to-even, sign(0) is 0, NaN propagates', () => {
    const x = Float32Array.from([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -2.6, 3.5, 0, Number.NaN]);
    expect(Array.from(be.unary('round', ref(x, [12])))).toEqual([0, 2, 2, -0, -2, -2, 2, 3, -3, 4, 0, Number.NaN]);
    const s = be.unary('sign', ref(Float32Array.from([-3, 0, 2.5, Number.NaN]), [4]));
    expect(Array.from(s)).toEqual([-1, 0, 1, Number.NaN]);
    const r = be.unary('relu', ref(Float32Array.from([-1, 0, 2, Number.NaN]), [4]));
    expect(Array.from(r)).toEqual([0, 0, 2, Number.NaN]);
    const sg = be.unary('sigmoid', ref(Float32Array.from([-1000, 1000, 0]), [3]));
    expect(Array.from(sg)).toEqual([0, 1, 0.5]);
  });

  it('erf has absolute error below 1e-7 (in double) over [-7, 7]', () => {
    let worst = 0;
    for (let x = -7; x <= 7; x += 0.0137) {
      const want = erfSeries(x);
      worst = Math.max(worst, Math.abs(erf(x) - want));
    }
    expect(worst).toBeLessThan(1e-7);
    expect(worst).toBeLessThan(1e-14); // Cody's approximation is ~1e-16 in double
    expect(erf(0)).toBe(0);
    expect(erf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(erf(Number.NEGATIVE_INFINITY)).toBe(-1);
    expect(erf(Number.NaN)).toBeNaN();
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 15);
  });

  it('int32 neg/abs/sign wrap like Int32Array', () => {
    const x = Int32Array.from([-2147483648, -5, 0, 7, 2147483647]);
    expect(Array.from(be.unary('neg', ref(x, [5])))).toEqual([-2147483648, 5, 0, -7, -2147483647]);
    expect(Array.from(be.unary('abs', ref(x, [5])))).toEqual([-2147483648, 5, 0, 7, 2147483647]);
    const s = be.unary('sign', ref(x, [5]));
    expect(s).toBeInstanceOf(Int32Array);
    expect(Array.from(s)).toEqual([-1, -1, 0, 1, 1]);
  });

  it('logicalNot maps bool to bool', () => {
    const y = be.unary('logicalNot', ref(Uint8Array.from([0, 1, 1, 0]), [2, 2]));
    expect(y).toBeInstanceOf(Uint8Array);
    expect(Array.from(y)).toEqual([1, 0, 0, 1]);
  });
});

const COMPARE = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr']);

/** Pairs of (a shape, b shape, out shape) covering the fast paths and general broadcasting. */
const BROADCAST_CASES: [number[], number[], number[]][] = [
  [
    [3, 4],
    [3, 4],
    [3, 4],
  ],
  [
    [2, 3, 5],
    [1, 1, 1],
    [2, 3, 5],
  ],
  [
    [1, 1],
    [4, 3],
    [4, 3],
  ],
  [
    [2, 1, 5],
    [1, 3, 1],
    [2, 3, 5],
  ],
  [
    [4, 1],
    [4, 6],
    [4, 6],
  ],
  [
    [1, 6],
    [4, 6],
    [4, 6],
  ],
  [
    [2, 3, 4, 5],
    [2, 1, 4, 1],
    [2, 3, 4, 5],
  ],
  [
    [0, 3],
    [1, 3],
    [0, 3],
  ],
  [[], [], []],
  [[1], [7], [7]],
  [
    [3, 1, 1],
    [3, 1, 1],
    [3, 1, 1],
  ],
];

function naiveBinary(op: BinaryOp, a: DataArray, as: number[], b: DataArray, bs: number[], os: number[], t: DType): number[] {
  return Array.from({ length: size(os) }, (_, i) => {
    const idx = unravel(i, os);
    return binaryReference(op, t)(at(a, as, idx), at(b, bs, idx));
  });
}

describe('JsBackend binary', () => {
  for (const dtype of ['float32', 'int32'] as const) {
    it(`broadcasts every op correctly for ${dtype}`, () => {
      for (const [as, bs, os] of BROADCAST_CASES) {
        for (const op of BINARY_OPS) {
          if (op === 'logicalAnd' || op === 'logicalOr') continue;
          if (dtype === 'int32' && op === 'div') continue; // core casts int division to float
          const a = randOf(dtype, size(as));
          let b = randOf(dtype, size(bs));
          if (op === 'pow') b = dtype === 'int32' ? randI(size(bs), 0, 9) : b.map(Math.abs);
          const pa = op === 'pow' && dtype === 'float32' ? a.map(Math.abs) : a;
          const y = be.binary(op, ref(pa, as), ref(b, bs), os);
          const want = naiveBinary(op, pa, as, b, bs, os, dtype);
          if (COMPARE.has(op)) expect(y, op).toBeInstanceOf(Uint8Array);
          else expect(y, op).toBeInstanceOf(dtype === 'float32' ? Float32Array : Int32Array);
          if (dtype === 'int32' || COMPARE.has(op)) expect(Array.from(y), `${op} ${as} ${bs}`).toEqual(want);
          else expectClose(y, want, 1e-6);
        }
      }
    });
  }

  it('int32 add/mul/pow wrap like Int32Array', () => {
    const a = Int32Array.from([2147483647, 65536, 3, -7]);
    const b = Int32Array.from([1, 65536, 21, 3]);
    expect(Array.from(be.binary('add', ref(a, [4]), ref(b, [4]), [4]))).toEqual([-2147483648, 131072, 24, -4]);
    expect(Array.from(be.binary('mul', ref(a, [4]), ref(b, [4]), [4]))).toEqual([2147483647, 0, 63, -21]);
    expect(Array.from(be.binary('pow', ref(a, [4]), ref(b, [4]), [4]))).toEqual([
      2147483647,
      0,
      Number(BigInt.asIntN(32, 3n ** 21n)),
      -343,
    ]);
  });

  it('maximum/minimum propagate NaN; comparisons with NaN are false except ne', () => {
    const a = Float32Array.from([Number.NaN, 1, 2]);
    const b = Float32Array.from([0, Number.NaN, 1]);
    expect(Array.from(be.binary('maximum', ref(a, [3]), ref(b, [3]), [3]))).toEqual([Number.NaN, Number.NaN, 2]);
    expect(Array.from(be.binary('minimum', ref(a, [3]), ref(b, [3]), [3]))).toEqual([Number.NaN, Number.NaN, 1]);
    expect(Array.from(be.binary('lt', ref(a, [3]), ref(b, [3]), [3]))).toEqual([0, 0, 0]);
    expect(Array.from(be.binary('ne', ref(a, [3]), ref(b, [3]), [3]))).toEqual([1, 1, 1]);
    expect(Array.from(be.binary('pow', ref(Float32Array.from([-8, 0, 2]), [3]), ref(Float32Array.from([1 / 3, 0, -1]), [3]), [3]))).toEqual(
      [Number.NaN, 1, 0.5],
    );
  });

  it('logicalAnd/Or on bools with broadcasting', () => {
    const a = Uint8Array.from([0, 1]);
    const b = Uint8Array.from([0, 1, 1]);
    expect(Array.from(be.binary('logicalAnd', ref(a, [2, 1]), ref(b, [1, 3]), [2, 3]))).toEqual([0, 0, 0, 0, 1, 1]);
    expect(Array.from(be.binary('logicalOr', ref(a, [2, 1]), ref(b, [1, 3]), [2, 3]))).toEqual([0, 1, 1, 1, 1, 1]);
  });
});

describe('JsBackend where / cast', () => {
  it('where broadcasts all three operands', () => {
    for (const [cs, as, bs, os] of [
      [
        [2, 3],
        [2, 3],
        [2, 3],
        [2, 3],
      ],
      [
        [2, 1],
        [1, 3],
        [1, 1],
        [2, 3],
      ],
      [
        [1, 4, 1],
        [3, 1, 5],
        [3, 4, 5],
        [3, 4, 5],
      ],
      [[0], [1], [1], [0]],
    ] as number[][][]) {
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const c = randB(size(cs));
        const a = randOf(dtype, size(as));
        const b = randOf(dtype, size(bs));
        const y = be.where(ref(c, cs), ref(a, as), ref(b, bs), os);
        const want = Array.from({ length: size(os) }, (_, i) => {
          const idx = unravel(i, os);
          return at(c, cs, idx) ? at(a, as, idx) : at(b, bs, idx);
        });
        expect(Array.from(y)).toEqual(want);
        expect(y.constructor).toBe(a.constructor);
      }
    }
  });

  it('cast truncates toward zero to int32, saturating, and maps nonzero (and NaN) to true', () => {
    const x = Float32Array.from([1.7, -1.7, 0, -0.5, Number.NaN, 3e9]);
    expect(Array.from(be.cast(ref(x, [6]), 'int32'))).toEqual([1, -1, 0, 0, 0, 2147483647]);
    expect(Array.from(be.cast(ref(x, [6]), 'bool'))).toEqual([1, 1, 0, 1, 1, 1]);
    const i = Int32Array.from([-3, 0, 16777217]);
    expect(Array.from(be.cast(ref(i, [3]), 'float32'))).toEqual([-3, 0, 16777216]);
    expect(Array.from(be.cast(ref(i, [3]), 'bool'))).toEqual([1, 0, 1]);
    expect(Array.from(be.cast(ref(Uint8Array.from([1, 0]), [2]), 'int32'))).toEqual([1, 0]);
    const same = be.cast(ref(x, [6]), 'float32');
    expect(same).not.toBe(x);
    expect(Array.from(same)).toEqual(Array.from(x));
  });
});

// ---- reductions -------------------------------------------------------------

function naiveReduce(op: ReduceOp, x: DataArray, shape: number[], axes: number[], dtype: DType): number[] {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const init = { sum: 0, prod: 1, max: -Infinity, min: Infinity }[op];
  const out = new Array<number>(size(outShape)).fill(init);
  for (let i = 0; i < x.length; i++) {
    const idx = unravel(i, shape).map((v, d) => (axes.includes(d) ? 0 : v));
    const o = ravel(idx, outShape);
    const v = x[i];
    if (op === 'sum') out[o] = dtype === 'int32' ? (out[o] + v) | 0 : out[o] + v;
    else if (op === 'prod') out[o] = dtype === 'int32' ? Number(BigInt.asIntN(32, BigInt(out[o]) * BigInt(v))) : out[o] * v;
    else if (Number.isNaN(v) || Number.isNaN(out[o])) out[o] = Number.NaN;
    else out[o] = op === 'max' ? Math.max(out[o], v) : Math.min(out[o], v);
  }
  return out;
}

describe('JsBackend reduce', () => {
  const cases: [number[], number[]][] = [
    [[7], [0]],
    [[3, 5], [1]],
    [[3, 5], [0]],
    [
      [3, 5],
      [0, 1],
    ],
    [[2, 3, 4], [1]],
    [
      [2, 3, 4],
      [0, 2],
    ],
    [
      [2, 3, 4, 5],
      [1, 2],
    ],
    [
      [2, 3, 4, 5],
      [0, 3],
    ],
    [
      [1, 4, 1, 3],
      [0, 2],
    ],
    [[4, 1, 6], [1]],
    [[3, 300], [1]],
  ];
  for (const dtype of ['float32', 'int32'] as const) {
    it(`sum/prod/max/min over random axes for ${dtype}`, () => {
      for (const [shape, axes] of cases) {
        for (const op of ['sum', 'prod', 'max', 'min'] as const) {
          const x = dtype === 'float32' ? randF(size(shape)).map((v) => (op === 'prod' ? 0.6 + v / 5 : v)) : randI(size(shape), -3, 3);
          const y = be.reduce(op, ref(x, shape), axes);
          const want = naiveReduce(op, x, shape, axes, dtype);
          if (dtype === 'int32') expect(Array.from(y), `${op} ${shape} ${axes}`).toEqual(want);
          else expectClose(y, want, 1e-5);
        }
      }
    });
  }

  it('empty reductions give the identity; non-reduced empty dims give empty output', () => {
    const x = new Float32Array(0);
    expect(Array.from(be.reduce('sum', ref(x, [3, 0]), [1]))).toEqual([0, 0, 0]);
    expect(Array.from(be.reduce('prod', ref(x, [3, 0]), [1]))).toEqual([1, 1, 1]);
    expect(Array.from(be.reduce('max', ref(x, [3, 0]), [1]))).toEqual([-Infinity, -Infinity, -Infinity]);
    expect(Array.from(be.reduce('min', ref(x, [0, 2]), [0]))).toEqual([Infinity, Infinity]);
    expect(be.reduce('sum', ref(x, [0, 2]), [1]).length).toBe(0);
  });

  it('max/min propagate NaN; int32 sum wraps', () => {
    const x = Float32Array.from([1, Number.NaN, 3, 4, 5, 6]);
    expect(Array.from(be.reduce('max', ref(x, [2, 3]), [1]))).toEqual([Number.NaN, 6]);
    expect(Array.from(be.reduce('min', ref(x, [2, 3]), [0]))).toEqual([1, Number.NaN, 3]);
    const i = Int32Array.from([2147483647, 1, 5]);
    expect(Array.from(be.reduce('sum', ref(i, [3]), [0]))).toEqual([-2147483643]);
  });

  it('argmax/argmin return the first extreme; the first NaN wins', () => {
    for (const [shape, axis] of [
      [[5], 0],
      [[3, 4], 0],
      [[3, 4], 1],
      [[2, 3, 4], 1],
      [[2, 1, 3], 1],
    ] as [number[], number][]) {
      const x = randI(size(shape), 0, 2); // many ties
      for (const op of ['argmax', 'argmin'] as const) {
        const y = be.argReduce(op, ref(x, shape), axis);
        expect(y).toBeInstanceOf(Int32Array);
        const outShape = shape.map((d, i) => (i === axis ? 1 : d));
        const want = Array.from({ length: size(outShape) }, (_, o) => {
          const idx = unravel(o, outShape);
          let best = 0;
          for (let k = 1; k < shape[axis]; k++) {
            const v =
              x[
                ravel(
                  idx.map((v2, d) => (d === axis ? k : v2)),
                  shape,
                )
              ];
            const cur =
              x[
                ravel(
                  idx.map((v2, d) => (d === axis ? best : v2)),
                  shape,
                )
              ];
            if (op === 'argmax' ? v > cur : v < cur) best = k;
          }
          return best;
        });
        expect(Array.from(y), `${op} ${shape} ${axis}`).toEqual(want);
      }
    }
    const f = Float32Array.from([1, Number.NaN, 5, Number.NaN, 0, 9]);
    expect(Array.from(be.argReduce('argmax', ref(f, [6]), 0))).toEqual([1]);
    expect(Array.from(be.argReduce('argmin', ref(f, [2, 3]), 1))).toEqual([1, 0]);
  });
});

// ---- data movement ----------------------------------------------------------

describe('JsBackend strided / concat / pad', () => {
  function naiveStrided(x: DataArray, outShape: number[], strides: number[], offset: number): number[] {
    return Array.from({ length: size(outShape) }, (_, i) => x[unravel(i, outShape).reduce((acc, v, d) => acc + v * strides[d], offset)]);
  }

  it('handles transposes, broadcasts, flips, steps and empty views', () => {
    const x = Float32Array.from({ length: 120 }, (_, i) => i);
    const cases: [number[], number[], number][] = [
      [[2, 3, 4, 5], [60, 20, 5, 1], 0], // identity
      [[5, 4, 3, 2], [1, 5, 20, 60], 0], // full transpose
      [[3, 2, 20], [20, 60, 1], 0], // swap leading axes, long contiguous rows
      [[4, 7, 5], [5, 0, 1], 0], // broadcast middle
      [[120], [-1], 119], // flip
      [[2, 3], [-60, -2], 100], // flip with step
      [[3, 1, 2], [30, 0, 7], 1],
      [[0, 4], [4, 1], 0],
      [[], [], 42], // scalar
      [[10, 20], [0, 0], 5], // scalar broadcast
    ];
    for (const [shape, strides, offset] of cases) {
      const y = be.strided(ref(x, [120]), shape, strides, offset);
      expect(Array.from(y), `${shape} ${strides}`).toEqual(naiveStrided(x, shape, strides, offset));
    }
    const b = randB(6);
    expect(Array.from(be.strided(ref(b, [2, 3]), [3, 2], [1, 3], 0))).toEqual([b[0], b[3], b[1], b[4], b[2], b[5]]);
  });

  it('concatenates along every axis, including empty parts', () => {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      for (const axis of [0, 1, 2]) {
        const shapes = [3, 0, 1, 20].map((len) => [2, 3, 4].map((d, i) => (i === axis ? len : d)));
        const parts = shapes.map((s) => ref(randOf(dtype, size(s)), s));
        const outShape = [2, 3, 4].map((d, i) => (i === axis ? 24 : d));
        const y = be.concat(parts, axis, outShape);
        const want = Array.from({ length: size(outShape) }, (_, i) => {
          const idx = unravel(i, outShape);
          let k = idx[axis];
          let p = 0;
          while (k >= shapes[p][axis]) k -= shapes[p++][axis];
          return parts[p].buf[
            ravel(
              idx.map((v, d) => (d === axis ? k : v)),
              shapes[p],
            )
          ];
        });
        expect(Array.from(y)).toEqual(want);
      }
    }
  });

  it('pads with a constant, including size-1 and empty dims', () => {
    const cases: [number[], [number, number][]][] = [
      [
        [3, 4],
        [
          [1, 2],
          [0, 3],
        ],
      ],
      [
        [3, 1],
        [
          [0, 0],
          [1, 1],
        ],
      ],
      [
        [1, 5],
        [
          [2, 0],
          [0, 0],
        ],
      ],
      [
        [2, 1, 3],
        [
          [0, 1],
          [2, 1],
          [1, 0],
        ],
      ],
      [
        [0, 2],
        [
          [1, 1],
          [1, 0],
        ],
      ],
      [[], []],
      [[40], [[3, 5]]],
    ];
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      for (const [shape, pads] of cases) {
        const x = randOf(dtype, size(shape));
        const value = dtype === 'float32' ? -1.5 : dtype === 'int32' ? 7 : 1;
        const y = be.pad(ref(x, shape), pads, value);
        const outShape = shape.map((d, i) => d + pads[i][0] + pads[i][1]);
        const want = Array.from({ length: size(outShape) }, (_, i) => {
          const idx = unravel(i, outShape).map((v, d) => v - pads[d][0]);
          return idx.every((v, d) => v >= 0 && v < shape[d]) ? x[ravel(idx, shape)] : value;
        });
        expect(Array.from(y), `${dtype} ${shape}`).toEqual(want);
      }
    }
  });
});

// ---- matmul -----------------------------------------------------------------

function naiveMatmul(a: Float32Array, b: Float32Array, p: MatmulParams): Float64Array {
  const { batch, m, n, k } = p;
  const out = new Float64Array(batch * m * n);
  for (let bi = 0; bi < batch; bi++) {
    const ao = p.batchA === 1 ? 0 : bi * m * k;
    const bo = p.batchB === 1 ? 0 : bi * k * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) {
          const av = p.transA ? a[ao + q * m + i] : a[ao + i * k + q];
          const bv = p.transB ? b[bo + j * k + q] : b[bo + q * n + j];
          s += av * bv;
        }
        out[(bi * m + i) * n + j] = s;
      }
  }
  return out;
}

describe('JsBackend matmul', () => {
  const dims: [number, number, number, number][] = [
    [1, 1, 1, 1],
    [1, 3, 5, 7],
    [3, 4, 1, 6],
    [2, 5, 6, 0],
    [2, 0, 4, 3],
    [1, 70, 270, 300], // several MC and KC blocks, partial MR/NR strips
    [1, 6, 530, 5], // two NC panels
    [4, 9, 17, 33],
  ];
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      it(`matches the naive product (transA=${transA}, transB=${transB}, shared and batched operands)`, () => {
        for (const [batch, m, n, k] of dims) {
          for (const [batchA, batchB] of [
            [batch, batch],
            [1, batch],
            [batch, 1],
          ]) {
            const p: MatmulParams = { batch, m, n, k, transA, transB, batchA, batchB };
            const a = randF(batchA * m * k);
            const b = randF(batchB * k * n);
            const y = be.matmul(ref(a, [batchA, m, k]), ref(b, [batchB, k, n]), p);
            expect(y.length).toBe(batch * m * n);
            expectClose(y, naiveMatmul(a, b, p), 1e-5);
          }
        }
      });
    }
  }

  it('propagates NaN even against zeros', () => {
    const p: MatmulParams = { batch: 1, m: 1, n: 1, k: 2, transA: false, transB: false, batchA: 1, batchB: 1 };
    const y = be.matmul(ref(Float32Array.from([0, 1]), [1, 1, 2]), ref(Float32Array.from([Number.NaN, 2]), [1, 2, 1]), p);
    expect(y[0]).toBeNaN();
  });
});

// ---- conv2d -----------------------------------------------------------------

function convParams(
  n: number,
  c: number,
  h: number,
  w: number,
  o: number,
  kh: number,
  kw: number,
  s: [number, number],
  pd: [number, number],
  d: [number, number],
  groups: number,
): Conv2dParams {
  const oh = Math.floor((h + 2 * pd[0] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((w + 2 * pd[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  return { n, c, h, w, o, kh, kw, oh, ow, sh: s[0], sw: s[1], ph: pd[0], pw: pd[1], dh: d[0], dw: d[1], groups };
}

/**
 * Visits every (output, filter tap, input) triple of the convolution: the
 * naive 7-loop definition that all three reference passes share.
 */
function naiveConvVisit(p: Conv2dParams, visit: (yi: number, wi: number, xi: number) => void): void {
  const cg = p.c / p.groups;
  const og = p.o / p.groups;
  for (let ni = 0; ni < p.n; ni++)
    for (let oc = 0; oc < p.o; oc++) {
      const g = Math.floor(oc / og);
      for (let oy = 0; oy < p.oh; oy++)
        for (let ox = 0; ox < p.ow; ox++)
          for (let ci = 0; ci < cg; ci++)
            for (let ki = 0; ki < p.kh; ki++)
              for (let kj = 0; kj < p.kw; kj++) {
                const iy = oy * p.sh - p.ph + ki * p.dh;
                const ix = ox * p.sw - p.pw + kj * p.dw;
                if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
                const yi = ((ni * p.o + oc) * p.oh + oy) * p.ow + ox;
                const wi = ((oc * cg + ci) * p.kh + ki) * p.kw + kj;
                const xi = ((ni * p.c + g * cg + ci) * p.h + iy) * p.w + ix;
                visit(yi, wi, xi);
              }
    }
}

describe('JsBackend conv2d', () => {
  const configs: [string, Conv2dParams][] = [
    ['3x3 same padding', convParams(2, 3, 7, 6, 4, 3, 3, [1, 1], [1, 1], [1, 1], 1)],
    ['stride 2, non-square kernel', convParams(1, 2, 9, 8, 3, 3, 2, [2, 2], [0, 1], [1, 1], 1)],
    ['dilation 2', convParams(2, 2, 9, 9, 2, 3, 3, [1, 1], [2, 2], [2, 2], 1)],
    ['groups 2, stride (2,1), dilation (1,2)', convParams(2, 4, 8, 10, 6, 3, 3, [2, 1], [1, 2], [1, 2], 2)],
    ['depthwise', convParams(1, 3, 5, 5, 3, 3, 3, [1, 1], [1, 1], [1, 1], 3)],
    ['pointwise 1x1', convParams(2, 5, 4, 3, 7, 1, 1, [1, 1], [0, 0], [1, 1], 1)],
    ['pointwise groups 2', convParams(1, 4, 3, 3, 2, 1, 1, [1, 1], [0, 0], [1, 1], 2)],
    ['1x1 stride 2', convParams(1, 2, 5, 5, 3, 1, 1, [2, 2], [0, 0], [1, 1], 1)],
    ['kernel equals input, size-1 output', convParams(3, 2, 4, 4, 5, 4, 4, [1, 1], [0, 0], [1, 1], 1)],
    ['batch 0', convParams(0, 2, 4, 4, 2, 3, 3, [1, 1], [1, 1], [1, 1], 1)],
    ['wide im2col (P > 256)', convParams(1, 2, 20, 20, 3, 3, 3, [1, 1], [1, 1], [1, 1], 1)],
  ];
  for (const [name, p] of configs) {
    it(`forward and both backward passes match the naive loops: ${name}`, () => {
      const xs = [p.n, p.c, p.h, p.w];
      const ws = [p.o, p.c / p.groups, p.kh, p.kw];
      const ys = [p.n, p.o, p.oh, p.ow];
      const x = randF(size(xs));
      const w = randF(size(ws));
      const dy = randF(size(ys));

      const wantY = new Float64Array(size(ys));
      const wantDx = new Float64Array(size(xs));
      const wantDw = new Float64Array(size(ws));
      naiveConvVisit(p, (yi, wi, xi) => {
        wantY[yi] += x[xi] * w[wi];
        wantDx[xi] += dy[yi] * w[wi];
        wantDw[wi] += dy[yi] * x[xi];
      });

      expectClose(be.conv2d(ref(x, xs), ref(w, ws), p), wantY, 1e-5);
      expectClose(be.conv2dBackwardInput(ref(dy, ys), ref(w, ws), p), wantDx, 1e-5);
      expectClose(be.conv2dBackwardFilter(ref(x, xs), ref(dy, ys), p), wantDw, 1e-5);
    });
  }
});

// ---- pool2d -----------------------------------------------------------------

function poolParams(
  n: number,
  c: number,
  h: number,
  w: number,
  k: [number, number],
  s: [number, number],
  pd: [number, number],
): Pool2dParams {
  const oh = Math.floor((h + 2 * pd[0] - k[0]) / s[0]) + 1;
  const ow = Math.floor((w + 2 * pd[1] - k[1]) / s[1]) + 1;
  return { n, c, h, w, kh: k[0], kw: k[1], oh, ow, sh: s[0], sw: s[1], ph: pd[0], pw: pd[1] };
}

/** Lists the real (non-padding) input cells of each output window, in row-major order. */
function windows(p: Pool2dParams): number[][] {
  const out: number[][] = [];
  for (let pl = 0; pl < p.n * p.c; pl++)
    for (let oy = 0; oy < p.oh; oy++)
      for (let ox = 0; ox < p.ow; ox++) {
        const cells: number[] = [];
        for (let ki = 0; ki < p.kh; ki++)
          for (let kj = 0; kj < p.kw; kj++) {
            const iy = oy * p.sh - p.ph + ki;
            const ix = ox * p.sw - p.pw + kj;
            if (iy >= 0 && iy < p.h && ix >= 0 && ix < p.w) cells.push((pl * p.h + iy) * p.w + ix);
          }
        out.push(cells);
      }
  return out;
}

describe('JsBackend pool2d', () => {
  const configs: [string, Pool2dParams][] = [
    ['2x2 stride 2', poolParams(2, 3, 6, 6, [2, 2], [2, 2], [0, 0])],
    ['3x3 stride 2 pad 1', poolParams(1, 2, 7, 5, [3, 3], [2, 2], [1, 1])],
    ['overlapping 3x2 stride 1 pad (1,0)', poolParams(2, 1, 4, 5, [3, 2], [1, 1], [1, 0])],
    ['global', poolParams(1, 4, 3, 3, [3, 3], [1, 1], [0, 0])],
    ['1x1', poolParams(1, 1, 3, 2, [1, 1], [1, 1], [0, 0])],
  ];
  for (const [name, p] of configs) {
    it(`max and avg, forward and backward, match the naive loops: ${name}`, () => {
      const xs = [p.n, p.c, p.h, p.w];
      const ys = [p.n, p.c, p.oh, p.ow];
      const x = Float32Array.from(randI(size(xs), 0, 3)); // ties exercise first-max
      const dy = randF(size(ys));
      const wins = windows(p);
      const wantMax = wins.map((cells) => Math.max(...cells.map((i) => x[i])));
      const wantAvg = wins.map((cells) => cells.reduce((s, i) => s + x[i], 0) / cells.length);
      const dxMax = new Float64Array(size(xs));
      const dxAvg = new Float64Array(size(xs));
      wins.forEach((cells, o) => {
        let first = cells[0];
        for (const i of cells) if (x[i] > x[first]) first = i;
        dxMax[first] += dy[o];
        for (const i of cells) dxAvg[i] += dy[o] / cells.length;
      });
      expectClose(be.pool2d('max', ref(x, xs), p), wantMax, 0);
      expectClose(be.pool2d('avg', ref(x, xs), p), wantAvg, 1e-6);
      expectClose(be.pool2dBackward('max', ref(x, xs), ref(dy, ys), p), dxMax, 1e-6);
      expectClose(be.pool2dBackward('avg', ref(x, xs), ref(dy, ys), p), dxAvg, 1e-6);
    });
  }

  it('padding never wins a max, even against -Infinity inputs', () => {
    const p = poolParams(1, 1, 2, 2, [2, 2], [1, 1], [1, 1]);
    const x = Float32Array.from([-Infinity, -5, -Infinity, -Infinity]);
    const y = be.pool2d('max', ref(x, [1, 1, 2, 2]), p);
    expect(Array.from(y)).toEqual([-Infinity, -5, -5, -Infinity, -5, -5, -Infinity, -Infinity, -Infinity]);
    const dx = be.pool2dBackward('max', ref(x, [1, 1, 2, 2]), ref(new Float32Array(9).fill(1), [1, 1, 3, 3]), p);
    // all-(-Inf) windows send their gradient to their first real cell
    expect(Array.from(dx)).toEqual([2, 4, 2, 1]);
  });
});
