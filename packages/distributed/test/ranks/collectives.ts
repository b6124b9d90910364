// Run by mpirun (see ../collectives.test.ts): every collective against a plain JS reference that
// each rank computes from every rank's (deterministic) input.
import '@mge/kernels-cpu';
import { GradManager, mul, Parameter, sum, type Tensor, tensor } from '@mge/core';
import { Mulberry32 } from '@mge/data';
import { barrier, functional as D, getRank, getWorldSize, init } from '../../src/index.js';

type Arr = Float32Array | Int32Array | Uint8Array;
type DT = 'float32' | 'int32' | 'bool';
const { rank, size } = init();
if (getRank() !== rank || getWorldSize() !== size) throw new Error('getRank/getWorldSize disagree with init()');

/** Rank r's deterministic input: a plain LCG loop, so that 10⁷ elements take milliseconds. */
function input(r: number, n: number, dtype: DT): Arr {
  let state = (new Mulberry32(1000 * r + n).nextUint32() | 1) >>> 0;
  const out = dtype === 'bool' ? new Uint8Array(n) : dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = dtype === 'bool' ? state >>> 31 : dtype === 'int32' ? (state % 2001) - 1000 : state / 2 ** 31 - 1;
  }
  return out;
}

function expectEqual(what: string, got: Tensor, want: ArrayLike<number>, shape: number[], tol: number, dtype?: DT): void {
  if (got.shape.join(',') !== shape.join(',')) throw new Error(`${what}: shape [${got.shape}] != [${shape}]`);
  if (dtype && got.dtype !== dtype) throw new Error(`${what}: dtype ${got.dtype} != ${dtype}`);
  const g = got.dataSync();
  if (g.length !== want.length) throw new Error(`${what}: length ${g.length} != ${want.length}`);
  for (let i = 0; i < g.length; i++) {
    if (!(Math.abs(g[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])))) {
      throw new Error(`${what}: element ${i} is ${g[i]}, expected ${want[i]}`);
    }
  }
}

/** The elementwise reference over every rank's array, in rank order, in a plain loop (fast enough for 10⁷). */
function reduceRef(all: Arr[], f: (acc: number, v: number) => number): Float64Array {
  const out = Float64Array.from(all[0]);
  for (let r = 1; r < all.length; r++) {
    const a = all[r];
    for (let i = 0; i < out.length; i++) out[i] = f(out[i], a[i]);
  }
  return out;
}

function expectThrows(what: string, fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    if (pattern.test(String(e))) return;
    throw new Error(`${what}: threw ${String(e)}, expected ${pattern}`);
  }
  throw new Error(`${what}: did not throw`);
}

const sizes = (process.env.MGE_DIST_SIZES ?? '1,7,1000,65537,10000000').split(',').map(Number);
let checks = 0;
for (const device of ['cpu', 'js']) {
  for (const dtype of ['float32', 'int32', 'bool'] as const) {
    for (const n of device === 'js' ? [1, 1000] : sizes) {
      const all = Array.from({ length: size }, (_, r) => input(r, n, dtype));
      const x = tensor(all[rank], { dtype, device });
      const tag = `${device} ${dtype} n=${n}`;
      // float32 sums in rank order, as MPI's reduction over 2 ranks does
      const add = dtype === 'float32' ? (s: number, t: number) => Math.fround(s + t) : (s: number, t: number) => s + t;
      const tol = dtype === 'float32' ? 1e-6 : 0;
      // bool: max is logical or, min is logical and
      expectEqual(`allReduceMax ${tag}`, D.allReduceMax(x), reduceRef(all, Math.max), [n], 0, dtype);
      expectEqual(`allReduceMin ${tag}`, D.allReduceMin(x), reduceRef(all, Math.min), [n], 0, dtype);
      const root = size - 1;
      expectEqual(`broadcast ${tag}`, D.broadcast(x, root), all[root], [n], 0, dtype);
      const gathered = new Float64Array(n * size);
      for (let r = 0; r < size; r++) gathered.set(all[r], r * n);
      expectEqual(`allGather ${tag}`, D.allGather(x), gathered, [n * size], 0, dtype);
      checks += 4;
      if (dtype === 'bool') {
        expectThrows(
          `allReduceSum ${tag}`,
          () => D.allReduceSum(x),
          /allReduceSum: argument 'inp' must have dtype float32 or int32, got bool/,
        );
        expectThrows(`reduceScatterSum ${tag}`, () => D.reduceScatterSum(x), /reduceScatterSum: .*got bool/);
        expectThrows(`allReduceMean ${tag}`, () => D.allReduceMean(x), /allReduceMean: argument 'inp' must have dtype float32, got bool/);
        checks += 3;
        continue;
      }
      const sum = reduceRef(all, add);
      expectEqual(`allReduceSum ${tag}`, D.allReduceSum(x), sum, [n], tol, dtype);
      if (dtype === 'float32') {
        expectEqual(
          `allReduceMean ${tag}`,
          D.allReduceMean(x),
          sum.map((s) => s / size),
          [n],
          tol,
          dtype,
        );
      } else {
        expectThrows(`allReduceMean ${tag}`, () => D.allReduceMean(x), /allReduceMean: argument 'inp' must have dtype float32, got int32/);
      }
      // reduceScatterSum needs a first dimension divisible by size: use the [size, n] view
      const all2 = Array.from({ length: size }, (_, r) => input(r + 7, n * size, dtype));
      const x2 = tensor(all2[rank], { dtype, device, shape: [size, n] });
      const full = reduceRef(all2, add);
      expectEqual(`reduceScatterSum ${tag}`, D.reduceScatterSum(x2), full.subarray(rank * n, (rank + 1) * n), [1, n], tol, dtype);
      checks += 3;
    }
  }
}
// a 0-d tensor gathers to shape [size]
expectEqual(
  'allGather 0-d',
  D.allGather(tensor(rank)),
  Array.from({ length: size }, (_, r) => r),
  [size],
  0,
);

// gradients: on rank r, loss_r = sum(c_r · op(x_r)) with c_r = r + 1; the total loss is Σ loss_r
const c = rank + 1;
const S = (size * (size + 1)) / 2; // Σ c_r
function gradOf(what: string, x: Parameter, op: (x: Tensor) => Tensor, want: number[]): void {
  const gm = new GradManager().attach(x);
  gm.record();
  gm.backward(sum(mul(op(x), c)));
  expectEqual(`grad of ${what}`, x.grad as Tensor, want, [...x.shape], 1e-6);
  checks++;
}
gradOf('allReduceSum', new Parameter([1, 2]), (x) => D.allReduceSum(x), [S, S]);
gradOf('allReduceMean', new Parameter([1, 2]), (x) => D.allReduceMean(x), [S / size, S / size]);
gradOf('broadcast', new Parameter([1, 2]), (x) => D.broadcast(x, size - 1), rank === size - 1 ? [S, S] : [0, 0]);
gradOf('allGather', new Parameter([1, 2]), (x) => D.allGather(x), [S, S]);
gradOf(
  'reduceScatterSum',
  new Parameter(new Float32Array(2 * size), { shape: [size, 2] }),
  (x) => D.reduceScatterSum(x),
  Array.from({ length: 2 * size }, (_, i) => Math.floor(i / 2) + 1),
);
barrier();
console.log(`rank ${rank}/${size}: ${checks} collective checks passed`);
