/**
 * Differential cases: each runs one Backend primitive on the webgpu backend and on
 * core's reference js backend with the same random inputs and compares the results.
 * Shared by the Node tests and the browser tests (which pass `small`).
 */
import type { Backend, BinaryOp, DataArray, DType, TensorRef, UnaryOp } from '@mge/core';
import { BINARY_OPS, COMPARISON_OPS, UNARY, UNARY_OPS } from '@mge/core';
import { rng } from '@mge/core/testing';

export interface Tol {
  rtol: number;
  atol: number;
}
const EXACT: Tol = { rtol: 0, atol: 0 };
const ELEMENTWISE: Tol = { rtol: 1e-6, atol: 1e-7 };
const TRANSCENDENTAL: Tol = { rtol: 2e-5, atol: 2e-6 };

type Gen = 'normal' | 'positive' | 'unit' | 'int' | 'smallint' | 'bool' | 'special' | 'ties';

interface Input {
  shape: number[];
  dtype: DType;
  gen: Gen;
}

export interface DiffCase {
  name: string;
  inputs: Input[];
  outDType: DType;
  outSize: number;
  tol: Tol;
  run: (b: Backend, refs: TensorRef[]) => unknown;
}

const SPECIALS = [0, -0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 1e-30, 1e30, -1e30, 88, -88, 100, -100, NaN, Infinity, -Infinity, 3];

export function makeData(inp: Input, seed: number): DataArray {
  const r = rng(seed);
  const n = inp.shape.reduce((a, b) => a * b, 1);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const out = inp.dtype === 'float32' ? new Float32Array(n) : inp.dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    switch (inp.gen) {
      case 'normal':
        out[i] = normal() * 2;
        break;
      case 'positive':
        out[i] = 0.01 + r() * 5;
        break;
      case 'unit':
        out[i] = r() * 2 - 1;
        break;
      case 'int':
        out[i] = Math.floor(r() * 2001) - 1000;
        break;
      case 'smallint':
        out[i] = Math.floor(r() * 7) - 3;
        break;
      case 'bool':
        out[i] = r() < 0.5 ? 1 : 0;
        break;
      case 'special':
        out[i] = SPECIALS[i % SPECIALS.length];
        break;
      case 'ties':
        out[i] = Math.floor(r() * 4);
        break;
    }
  }
  return out;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const f = (shape: number[], gen: Gen = 'normal'): Input => ({ shape, dtype: 'float32', gen });
const i32 = (shape: number[], gen: Gen = 'int'): Input => ({ shape, dtype: 'int32', gen });
const bool = (shape: number[]): Input => ({ shape, dtype: 'bool', gen: 'bool' });

function bcast(a: number[], b: number[]): number[] {
  return a.map((d, i) => Math.max(d, b[i]));
}

function unaryGen(op: UnaryOp): Gen {
  return UNARY[op].domain ?? 'normal';
}

function binaryInputs(op: BinaryOp, dtype: DType, sa: number[], sb: number[]): Input[] {
  if (op === 'logicalAnd' || op === 'logicalOr') return [bool(sa), bool(sb)];
  if (dtype === 'int32') return [i32(sa, op === 'pow' ? 'smallint' : 'int'), i32(sb, op === 'pow' ? 'smallint' : 'int')];
  if (dtype === 'bool') return [bool(sa), bool(sb)];
  if (op === 'pow') return [f(sa, 'normal'), { shape: sb, dtype: 'float32', gen: 'smallint' }];
  return [f(sa), f(sb)];
}

/** Every primitive on odd shapes; `small` keeps sizes fit for SwiftShader in a browser. */
export function differentialCases(small = false): DiffCase[] {
  const cases: DiffCase[] = [];
  const big = small ? 1000 : 70001;

  for (const op of UNARY_OPS) {
    const dtype: DType = UNARY[op].dtype === 'logical' ? 'bool' : 'float32';
    const tol = UNARY[op].approx ? TRANSCENDENTAL : ELEMENTWISE;
    const inp: Input = dtype === 'bool' ? bool([3, 257]) : f([3, 257], unaryGen(op));
    cases.push({
      name: `unary ${op} ${dtype} [3,257]`,
      inputs: [inp],
      outDType: dtype,
      outSize: 3 * 257,
      tol,
      run: (b, [x]) => b.unary(op, x),
    });
    // sin/cos/tan reduce by π/2 accurately only while |x| is well below 2^16
    if (dtype === 'float32' && !small && op !== 'sin' && op !== 'cos' && op !== 'tan') {
      cases.push({
        name: `unary ${op} special values`,
        inputs: [f([40], 'special')],
        outDType: dtype,
        outSize: 40,
        tol,
        run: (b, [x]) => b.unary(op, x),
      });
    }
  }
  for (const op of UNARY_OPS.filter((o) => UNARY[o].dtype === 'signed')) {
    cases.push({
      name: `unary ${op} int32`,
      inputs: [i32([513])],
      outDType: 'int32',
      outSize: 513,
      tol: EXACT,
      run: (b, [x]) => b.unary(op, x),
    });
  }

  const sa = [2, 1, 5, 7];
  const sb = [1, 3, 5, 1];
  for (const op of BINARY_OPS) {
    const logical = op === 'logicalAnd' || op === 'logicalOr';
    const dtypes: DType[] = logical
      ? ['bool']
      : op === 'div'
        ? ['float32']
        : COMPARISON_OPS.has(op)
          ? ['float32', 'int32', 'bool']
          : ['float32', 'int32'];
    for (const dtype of dtypes) {
      const out = COMPARISON_OPS.has(op) ? 'bool' : dtype;
      const tol = dtype === 'float32' ? (op === 'pow' ? TRANSCENDENTAL : ELEMENTWISE) : EXACT;
      const shape = bcast(sa, sb);
      cases.push({
        name: `binary ${op} ${dtype} broadcast ${JSON.stringify(sa)}×${JSON.stringify(sb)}`,
        inputs: binaryInputs(op, dtype, sa, sb),
        outDType: out,
        outSize: size(shape),
        tol,
        run: (b, [x, y]) => b.binary(op, x, y, shape),
      });
    }
  }
  for (const op of ['add', 'mul', 'maximum', 'pow', 'div', 'lt'] as const) {
    cases.push({
      name: `binary ${op} float32 same shape [${big}]`,
      inputs: binaryInputs(op, 'float32', [big], [big]),
      outDType: COMPARISON_OPS.has(op) ? 'bool' : 'float32',
      outSize: big,
      tol: op === 'pow' ? TRANSCENDENTAL : ELEMENTWISE,
      run: (b, [x, y]) => b.binary(op, x, y, [big]),
    });
  }
  if (!small) {
    for (const op of ['maximum', 'minimum', 'pow', 'eq', 'lt'] as const) {
      cases.push({
        name: `binary ${op} special values`,
        inputs: [f([20, 1], 'special'), f([1, 20], 'special')],
        outDType: COMPARISON_OPS.has(op) ? 'bool' : 'float32',
        outSize: 400,
        tol: TRANSCENDENTAL,
        run: (b, [x, y]) => b.binary(op, x, y, [20, 20]),
      });
    }
    cases.push({
      name: 'binary add scalar-broadcast rank 5',
      inputs: [f([2, 3, 1, 4, 5]), f([1, 1, 1, 1, 1])],
      outDType: 'float32',
      outSize: 120,
      tol: ELEMENTWISE,
      run: (b, [x, y]) => b.binary('add', x, y, [2, 3, 1, 4, 5]),
    });
  }

  for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
    const ab: Input[] =
      dtype === 'float32'
        ? [f([4, 1, 6]), f([1, 5, 6])]
        : dtype === 'int32'
          ? [i32([4, 1, 6]), i32([1, 5, 6])]
          : [bool([4, 1, 6]), bool([1, 5, 6])];
    cases.push({
      name: `where ${dtype} broadcast`,
      inputs: [bool([4, 5, 1]), ...ab],
      outDType: dtype,
      outSize: 120,
      tol: EXACT,
      run: (b, [c, x, y]) => b.where(c, x, y, [4, 5, 6]),
    });
  }

  for (const from of ['float32', 'int32', 'bool'] as DType[]) {
    for (const to of ['float32', 'int32', 'bool'] as DType[]) {
      const inp: Input = from === 'float32' ? f([301], small ? 'normal' : 'special') : from === 'int32' ? i32([301]) : bool([301]);
      if (from === 'float32' && to === 'int32' && !small) inp.gen = 'normal';
      cases.push({ name: `cast ${from} → ${to}`, inputs: [inp], outDType: to, outSize: 301, tol: EXACT, run: (b, [x]) => b.cast(x, to) });
    }
  }

  const rshape = [3, 4, 5, 6];
  const axesSets = [[0], [1], [3], [0, 2], [1, 2], [0, 1, 2, 3], [1, 3]];
  for (const op of ['sum', 'prod', 'max', 'min'] as const) {
    for (const axes of axesSets) {
      const outShape = rshape.map((d, i) => (axes.includes(i) ? 1 : d));
      const tol = op === 'sum' ? { rtol: 1e-5, atol: 1e-5 } : op === 'prod' ? { rtol: 1e-5, atol: 1e-30 } : EXACT;
      cases.push({
        name: `reduce ${op} float32 axes ${JSON.stringify(axes)}`,
        inputs: [f(rshape, op === 'prod' ? 'unit' : 'normal')],
        outDType: 'float32',
        outSize: size(outShape),
        tol,
        run: (b, [x]) => b.reduce(op, x, axes),
      });
    }
    cases.push({
      name: `reduce ${op} int32 axes [1]`,
      inputs: [i32([7, 9, 3], op === 'prod' ? 'smallint' : 'int')],
      outDType: 'int32',
      outSize: 21,
      tol: EXACT,
      run: (b, [x]) => b.reduce(op, x, [1]),
    });
  }
  const longR = small ? 3000 : 100_003;
  cases.push({
    name: `reduce sum long row [2,${longR}] axis 1 (workgroup)`,
    inputs: [f([2, longR])],
    outDType: 'float32',
    outSize: 2,
    tol: { rtol: 1e-4, atol: 1e-3 },
    run: (b, [x]) => b.reduce('sum', x, [1]),
  });
  if (!small) {
    cases.push({
      name: 'reduce max over 1.1M elements (split over 68 workgroups, two passes)',
      inputs: [f([1100000])],
      outDType: 'float32',
      outSize: 1,
      tol: EXACT,
      run: (b, [x]) => b.reduce('max', x, [0]),
    });
    cases.push({
      name: 'reduce min int32 [3, 200000] axis 1 (split)',
      inputs: [i32([3, 200000])],
      outDType: 'int32',
      outSize: 3,
      tol: EXACT,
      run: (b, [x]) => b.reduce('min', x, [1]),
    });
  }
  cases.push({
    name: 'reduce max [513,300] axis 0 (serial)',
    inputs: [f([513, 300])],
    outDType: 'float32',
    outSize: 300,
    tol: EXACT,
    run: (b, [x]) => b.reduce('max', x, [0]),
  });
  cases.push({
    name: 'reduce sum over an empty axis gives 0',
    inputs: [f([4, 0, 3])],
    outDType: 'float32',
    outSize: 12,
    tol: EXACT,
    run: (b, [x]) => b.reduce('sum', x, [1]),
  });
  cases.push({
    name: 'reduce max over an empty axis gives -inf',
    inputs: [f([4, 0])],
    outDType: 'float32',
    outSize: 4,
    tol: EXACT,
    run: (b, [x]) => b.reduce('max', x, [1]),
  });
  if (!small)
    cases.push({
      name: 'reduce max with NaN',
      inputs: [f([4, 10], 'special')],
      outDType: 'float32',
      outSize: 4,
      tol: EXACT,
      run: (b, [x]) => b.reduce('max', x, [1]),
    });

  for (const op of ['argmax', 'argmin'] as const) {
    for (const axis of [0, 1, 2]) {
      cases.push({
        name: `${op} float32 with ties axis ${axis}`,
        inputs: [f([5, 6, 7], 'ties')],
        outDType: 'int32',
        outSize: (5 * 6 * 7) / [5, 6, 7][axis],
        tol: EXACT,
        run: (b, [x]) => b.argReduce(op, x, axis),
      });
    }
    cases.push({
      name: `${op} int32 axis 1`,
      inputs: [i32([4, 33])],
      outDType: 'int32',
      outSize: 4,
      tol: EXACT,
      run: (b, [x]) => b.argReduce(op, x, 1),
    });
    if (!small)
      cases.push({
        name: `${op} with NaN`,
        inputs: [f([2, 20], 'special')],
        outDType: 'int32',
        outSize: 2,
        tol: EXACT,
        run: (b, [x]) => b.argReduce(op, x, 1),
      });
  }

  // strided: transpose, expand (stride 0), flip (negative), slice (offset).
  cases.push({
    name: 'strided transpose [3,4,5]→[5,3,4]',
    inputs: [f([3, 4, 5])],
    outDType: 'float32',
    outSize: 60,
    tol: EXACT,
    run: (b, [x]) => b.strided(x, [5, 3, 4], [1, 20, 5], 0),
  });
  cases.push({
    name: 'strided expand [3,1]→[3,4,2]',
    inputs: [i32([3, 1])],
    outDType: 'int32',
    outSize: 24,
    tol: EXACT,
    run: (b, [x]) => b.strided(x, [3, 4, 2], [1, 0, 0], 0),
  });
  cases.push({
    name: 'strided flip axis 1 of [4,6]',
    inputs: [f([4, 6])],
    outDType: 'float32',
    outSize: 24,
    tol: EXACT,
    run: (b, [x]) => b.strided(x, [4, 6], [6, -1], 5),
  });
  cases.push({
    name: 'strided slice [1:7:2, ::-3] of [8,9]',
    inputs: [bool([8, 9])],
    outDType: 'bool',
    outSize: 9,
    tol: EXACT,
    run: (b, [x]) => b.strided(x, [3, 3], [18, -3], 9 + 8),
  });
  cases.push({
    name: 'strided contiguous copy rank 6',
    inputs: [f([2, 3, 2, 3, 2, 2])],
    outDType: 'float32',
    outSize: 144,
    tol: EXACT,
    run: (b, [x]) => b.strided(x, [2, 3, 2, 3, 2, 2], [72, 24, 12, 4, 2, 1], 0),
  });

  cases.push({
    name: 'concat 3 inputs axis 1 (one empty)',
    inputs: [f([2, 3, 4]), f([2, 0, 4]), f([2, 5, 4])],
    outDType: 'float32',
    outSize: 64,
    tol: EXACT,
    run: (b, xs) => b.concat(xs, 1, [2, 8, 4]),
  });
  cases.push({
    name: 'concat int32 axis 0',
    inputs: [i32([1, 7]), i32([3, 7])],
    outDType: 'int32',
    outSize: 28,
    tol: EXACT,
    run: (b, xs) => b.concat(xs, 0, [4, 7]),
  });
  cases.push({
    name: 'concat bool last axis',
    inputs: [bool([3, 2]), bool([3, 1])],
    outDType: 'bool',
    outSize: 9,
    tol: EXACT,
    run: (b, xs) => b.concat(xs, 1, [3, 3]),
  });

  cases.push({
    name: 'pad float32 value 1.5',
    inputs: [f([2, 3, 4])],
    outDType: 'float32',
    outSize: 3 * 5 * 9,
    tol: EXACT,
    run: (b, [x]) =>
      b.pad(
        x,
        [
          [1, 0],
          [0, 2],
          [3, 2],
        ],
        1.5,
      ),
  });
  cases.push({
    name: 'pad int32 value -7',
    inputs: [i32([5])],
    outDType: 'int32',
    outSize: 8,
    tol: EXACT,
    run: (b, [x]) => b.pad(x, [[2, 1]], -7),
  });
  cases.push({
    name: 'pad bool value 1',
    inputs: [bool([2, 2])],
    outDType: 'bool',
    outSize: 9,
    tol: EXACT,
    run: (b, [x]) =>
      b.pad(
        x,
        [
          [0, 1],
          [1, 0],
        ],
        1,
      ),
  });

  const mm = small
    ? [
        { batch: 1, m: 7, n: 9, k: 5, transA: false, transB: false, batchA: 1, batchB: 1 },
        { batch: 2, m: 33, n: 17, k: 70, transA: true, transB: true, batchA: 2, batchB: 1 },
        { batch: 1, m: 2, n: 3, k: 600, transA: false, transB: true, batchA: 1, batchB: 1 },
        // every dimension a multiple of 4: vec4 staging of A (along k / rows) and B (along cols)
        { batch: 2, m: 8, n: 12, k: 20, transA: false, transB: false, batchA: 2, batchB: 1 },
        { batch: 1, m: 12, n: 20, k: 8, transA: true, transB: false, batchA: 1, batchB: 1 },
      ]
    : [
        { batch: 1, m: 37, n: 53, k: 19, transA: false, transB: false, batchA: 1, batchB: 1 },
        { batch: 3, m: 65, n: 70, k: 33, transA: true, transB: false, batchA: 3, batchB: 3 },
        { batch: 2, m: 17, n: 129, k: 64, transA: false, transB: true, batchA: 1, batchB: 2 },
        { batch: 4, m: 5, n: 3, k: 9, transA: true, transB: true, batchA: 4, batchB: 1 },
        { batch: 1, m: 3, n: 5, k: 3000, transA: false, transB: false, batchA: 1, batchB: 1 },
        { batch: 1, m: 1, n: 1, k: 1, transA: false, transB: false, batchA: 1, batchB: 1 },
        { batch: 1, m: 4, n: 6, k: 0, transA: false, transB: false, batchA: 1, batchB: 1 },
        { batch: 1, m: 200, n: 190, k: 150, transA: false, transB: false, batchA: 1, batchB: 1 },
        // tall (64×16) and tiny (16×16) tiles, the latter with split-K
        { batch: 1, m: 130, n: 12, k: 40, transA: true, transB: false, batchA: 1, batchB: 1 },
        { batch: 2, m: 6, n: 25, k: 900, transA: false, transB: true, batchA: 2, batchB: 2 },
        // vec4 staging: all four layouts with every dimension a multiple of 4, and mixes where
        // only one operand qualifies (the other falls back to scalar loads)
        { batch: 2, m: 64, n: 48, k: 36, transA: false, transB: false, batchA: 2, batchB: 2 },
        { batch: 3, m: 20, n: 24, k: 44, transA: true, transB: false, batchA: 3, batchB: 1 },
        { batch: 1, m: 36, n: 68, k: 28, transA: false, transB: true, batchA: 1, batchB: 1 },
        { batch: 2, m: 12, n: 100, k: 52, transA: true, transB: true, batchA: 1, batchB: 2 },
        { batch: 1, m: 33, n: 45, k: 24, transA: false, transB: false, batchA: 1, batchB: 1 },
        { batch: 1, m: 21, n: 44, k: 35, transA: false, transB: false, batchA: 1, batchB: 1 },
        { batch: 1, m: 8, n: 4, k: 4000, transA: true, transB: false, batchA: 1, batchB: 1 },
      ];
  for (const p of mm) {
    const aShape = p.transA ? [p.batchA, p.k, p.m] : [p.batchA, p.m, p.k];
    const bShape = p.transB ? [p.batchB, p.n, p.k] : [p.batchB, p.k, p.n];
    cases.push({
      name: `matmul ${JSON.stringify(p)}`,
      inputs: [f(aShape), f(bShape)],
      outDType: 'float32',
      outSize: p.batch * p.m * p.n,
      tol: { rtol: 1e-4, atol: 1e-4 * Math.sqrt(p.k + 1) },
      run: (b, [x, y]) => b.matmul(x, y, p),
    });
  }

  const convs = small
    ? [{ n: 1, c: 2, h: 6, w: 5, o: 3, kh: 3, kw: 2, sh: 1, sw: 2, ph: 1, pw: 0, dh: 1, dw: 1, groups: 1 }]
    : [
        { n: 2, c: 3, h: 9, w: 8, o: 4, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, groups: 1 },
        { n: 1, c: 4, h: 11, w: 7, o: 6, kh: 3, kw: 2, sh: 2, sw: 3, ph: 2, pw: 1, dh: 2, dw: 1, groups: 2 },
        { n: 3, c: 1, h: 28, w: 28, o: 6, kh: 5, kw: 5, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, groups: 1 },
        { n: 2, c: 6, h: 5, w: 5, o: 6, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, groups: 6 },
        // vec4 staging of the filters (C·KH·KW = 16, KH·KW = 4) and of dy (OH·OW = 36)
        { n: 2, c: 4, h: 7, w: 7, o: 8, kh: 2, kw: 2, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, groups: 1 },
        { n: 1, c: 8, h: 9, w: 8, o: 6, kh: 2, kw: 2, sh: 2, sw: 2, ph: 1, pw: 0, dh: 1, dw: 1, groups: 2 },
      ];
  for (const g of convs) {
    const oh = Math.floor((g.h + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh) + 1;
    const ow = Math.floor((g.w + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw) + 1;
    const p = { ...g, oh, ow };
    const xs = [g.n, g.c, g.h, g.w];
    const ws = [g.o, g.c / g.groups, g.kh, g.kw];
    const ys = [g.n, g.o, oh, ow];
    const tol = { rtol: 1e-4, atol: 1e-4 * Math.sqrt(g.c * g.kh * g.kw * g.n * oh * ow) };
    const tag = JSON.stringify(g);
    cases.push({
      name: `conv2d ${tag}`,
      inputs: [f(xs), f(ws)],
      outDType: 'float32',
      outSize: size(ys),
      tol,
      run: (b, [x, w]) => b.conv2d(x, w, p),
    });
    cases.push({
      name: `conv2dBackwardInput ${tag}`,
      inputs: [f(ys), f(ws)],
      outDType: 'float32',
      outSize: size(xs),
      tol,
      run: (b, [dy, w]) => b.conv2dBackwardInput(dy, w, p),
    });
    cases.push({
      name: `conv2dBackwardFilter ${tag}`,
      inputs: [f(xs), f(ys)],
      outDType: 'float32',
      outSize: size(ws),
      tol,
      run: (b, [x, dy]) => b.conv2dBackwardFilter(x, dy, p),
    });
  }

  // Fused epilogues (bias, relu, both) in the GEMM's store step and, with split-K, in the partial-sum pass.
  type Parts = { bias: boolean; relu: boolean };
  const tagOf = (e: Parts) => [e.bias ? 'bias' : '', e.relu ? 'relu' : ''].filter(Boolean).join('+');
  const epi = (e: Parts, bias: TensorRef | undefined) => ({
    bias: e.bias ? bias : undefined,
    activation: e.relu ? ('relu' as const) : undefined,
  });
  const BR = { bias: true, relu: true };
  const mmFused: [Parts, (typeof mm)[number]][] = small
    ? [
        [BR, { batch: 1, m: 7, n: 9, k: 5, transA: false, transB: false, batchA: 1, batchB: 1 }],
        [BR, { batch: 1, m: 2, n: 3, k: 600, transA: false, transB: true, batchA: 1, batchB: 1 }],
        [
          { bias: false, relu: true },
          { batch: 2, m: 33, n: 17, k: 70, transA: true, transB: true, batchA: 2, batchB: 1 },
        ],
      ]
    : [
        [BR, { batch: 1, m: 37, n: 53, k: 19, transA: false, transB: false, batchA: 1, batchB: 1 }],
        [
          { bias: true, relu: false },
          { batch: 3, m: 65, n: 70, k: 33, transA: true, transB: false, batchA: 3, batchB: 3 },
        ],
        [
          { bias: false, relu: true },
          { batch: 2, m: 17, n: 129, k: 64, transA: false, transB: true, batchA: 1, batchB: 2 },
        ],
        [BR, { batch: 1, m: 3, n: 5, k: 3000, transA: false, transB: false, batchA: 1, batchB: 1 }],
        [BR, { batch: 2, m: 6, n: 25, k: 900, transA: false, transB: true, batchA: 2, batchB: 2 }],
      ];
  for (const [e, p] of mmFused) {
    const aShape = p.transA ? [p.batchA, p.k, p.m] : [p.batchA, p.m, p.k];
    const bShape = p.transB ? [p.batchB, p.n, p.k] : [p.batchB, p.k, p.n];
    cases.push({
      name: `matmul + ${tagOf(e)} ${JSON.stringify(p)}`,
      inputs: [f(aShape), f(bShape), f([p.n])],
      outDType: 'float32',
      outSize: p.batch * p.m * p.n,
      tol: { rtol: 1e-4, atol: 1e-4 * Math.sqrt(p.k + 1) },
      run: (b, [x, y, bias]) => b.matmul(x, y, p, epi(e, bias)),
    });
  }
  const convFused: [Parts, (typeof convs)[number]][] = small
    ? [
        [BR, convs[0]],
        [{ bias: false, relu: true }, convs[0]],
      ]
    : [
        [BR, convs[0]],
        [{ bias: true, relu: false }, convs[1]],
        [BR, convs[2]],
        [{ bias: false, relu: true }, convs[3]],
        // one output tile and K = 576: split-K, so the epilogue runs in the partial-sum pass
        [BR, { n: 1, c: 64, h: 4, w: 4, o: 4, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, groups: 1 }],
      ];
  for (const [e, g] of convFused) {
    const oh = Math.floor((g.h + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh) + 1;
    const ow = Math.floor((g.w + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw) + 1;
    const p = { ...g, oh, ow };
    const tol = { rtol: 1e-4, atol: 1e-4 * Math.sqrt(g.c * g.kh * g.kw * g.n * oh * ow) };
    cases.push({
      name: `conv2d + ${tagOf(e)} ${JSON.stringify(g)}`,
      inputs: [f([g.n, g.c, g.h, g.w]), f([g.o, g.c / g.groups, g.kh, g.kw]), f([g.o])],
      outDType: 'float32',
      outSize: g.n * g.o * oh * ow,
      tol,
      run: (b, [x, w, bias]) => b.conv2d(x, w, p, epi(e, bias)),
    });
  }

  const pools = small
    ? [{ n: 1, c: 2, h: 5, w: 6, kh: 2, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 }]
    : [
        { n: 2, c: 3, h: 8, w: 8, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 },
        { n: 1, c: 2, h: 7, w: 9, kh: 3, kw: 3, sh: 2, sw: 1, ph: 1, pw: 1 },
        { n: 1, c: 1, h: 5, w: 5, kh: 3, kw: 2, sh: 1, sw: 3, ph: 1, pw: 0 },
      ];
  for (const g of pools) {
    const oh = Math.floor((g.h + 2 * g.ph - g.kh) / g.sh) + 1;
    const ow = Math.floor((g.w + 2 * g.pw - g.kw) / g.sw) + 1;
    const p = { ...g, oh, ow };
    const xs = [g.n, g.c, g.h, g.w];
    const ys = [g.n, g.c, oh, ow];
    for (const op of ['max', 'avg'] as const) {
      const tag = `${op} ${JSON.stringify(g)}`;
      // 'ties' makes several maxima per window, so the first-maximum rule is checked.
      cases.push({
        name: `pool2d ${tag}`,
        inputs: [f(xs, op === 'max' ? 'ties' : 'normal')],
        outDType: 'float32',
        outSize: size(ys),
        tol: ELEMENTWISE,
        run: (b, [x]) => b.pool2d(op, x, p),
      });
      cases.push({
        name: `pool2dBackward ${tag}`,
        inputs: [f(xs, op === 'max' ? 'ties' : 'normal'), f(ys)],
        outDType: 'float32',
        outSize: size(xs),
        tol: { rtol: 1e-5, atol: 1e-6 },
        run: (b, [x, dy]) => b.pool2dBackward(op, x, dy, p),
      });
    }
  }
  return cases;
}

export interface Mismatch {
  index: number;
  got: number;
  want: number;
}

/** First elements outside tolerance (NaN must match NaN, infinities must match exactly). */
export function compare(got: DataArray, want: DataArray, tol: Tol): Mismatch[] {
  const bad: Mismatch[] = [];
  if (got.length !== want.length) return [{ index: -1, got: got.length, want: want.length }];
  for (let i = 0; i < want.length && bad.length < 5; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) ? Number.isNaN(g) : Number.isFinite(w) ? Math.abs(g - w) <= tol.atol + tol.rtol * Math.abs(w) : g === w) continue;
    bad.push({ index: i, got: g, want: w });
  }
  return bad;
}

/**
 * Runs one case on both backends; returns the webgpu result, the reference result and mismatches.
 * `prepare` transforms the generated inputs and the reference's float32 result (the f16 tests
 * round both to half, as f16 storage does), `tol` overrides the case's.
 */
/** A case's inputs depend on its name, not its position, so adding cases changes no other case's inputs. */
function nameSeed(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h % 1_000_000;
}

export async function runDiff(
  c: DiffCase,
  gpu: Backend,
  ref: Backend,
  base: number,
  opts: { prepare?: (d: DataArray) => DataArray; tol?: Tol } = {},
): Promise<{ got: DataArray; want: DataArray; bad: Mismatch[] }> {
  const seed = base + nameSeed(c.name);
  const data = c.inputs.map((inp, k) => (opts.prepare ?? ((d: DataArray) => d))(makeData(inp, seed * 31 + k)));
  const refs = (b: Backend) => c.inputs.map((inp, k) => ({ buf: b.upload(data[k]), shape: inp.shape, dtype: inp.dtype }));
  const gRefs = refs(gpu);
  const rRefs = refs(ref);
  const gOut = c.run(gpu, gRefs);
  const rOut = c.run(ref, rRefs);
  const got = await gpu.read(gOut, c.outDType, c.outSize);
  const read = await ref.read(rOut, c.outDType, c.outSize);
  // `prepare` also applies to the reference's result: what storing it in that format gives.
  const want = opts.prepare && c.outDType === 'float32' ? opts.prepare(read) : read;
  for (const r of gRefs) gpu.release(r.buf);
  for (const r of rRefs) ref.release(r.buf);
  gpu.release(gOut);
  ref.release(rOut);
  return { got, want, bad: compare(got, want, opts.tol ?? c.tol) };
}

/** '' when nothing mismatched, else "[i] got g, want w; …" (readable in a failed assertion). */
export function formatMismatches(bad: readonly Mismatch[]): string {
  return bad.map((m) => `[${m.index}] got ${m.got}, want ${m.want}`).join('; ');
}
