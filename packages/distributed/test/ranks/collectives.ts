// Run by mpirun (see ../collectives.test.ts): every collective against a plain JS reference that
// each rank computes from every rank's (deterministic) input.
import '@mge/kernels-cpu';
import { GradManager, mul, Parameter, sum, type Tensor, tensor } from '@mge/core';
import { Mulberry32 } from '@mge/data';
import { barrier, functional as D, getRank, getWorldSize, init } from '../../src/index.js';

type Arr = Float32Array | Int32Array;
const { rank, size } = init();
if (getRank() !== rank || getWorldSize() !== size) throw new Error('getRank/getWorldSize disagree with init()');

function input(r: number, n: number, dtype: 'float32' | 'int32'): Arr {
  const rng = new Mulberry32(1000 * r + n);
  if (dtype === 'int32') return Int32Array.from({ length: n }, () => (rng.nextUint32() % 2001) - 1000);
  return Float32Array.from({ length: n }, () => rng.nextUint32() / 2 ** 31 - 1);
}

function expectEqual(what: string, got: Tensor, want: ArrayLike<number>, shape: number[], tol: number): void {
  if (got.shape.join(',') !== shape.join(',')) throw new Error(`${what}: shape [${got.shape}] != [${shape}]`);
  const g = got.dataSync();
  if (g.length !== want.length) throw new Error(`${what}: length ${g.length} != ${want.length}`);
  for (let i = 0; i < g.length; i++) {
    if (!(Math.abs(g[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])))) {
      throw new Error(`${what}: element ${i} is ${g[i]}, expected ${want[i]}`);
    }
  }
}

const sizes = (process.env.MGE_DIST_SIZES ?? '1,7,1000,65537,1000000').split(',').map(Number);
let checks = 0;
for (const device of ['cpu', 'js']) {
  for (const dtype of ['float32', 'int32'] as const) {
    for (const n of device === 'js' ? [1, 1000] : sizes) {
      const all = Array.from({ length: size }, (_, r) => input(r, n, dtype));
      const mine = all[rank];
      const x = tensor(mine, { dtype, device });
      const ref = (f: (vals: number[]) => number): number[] => Array.from({ length: n }, (_, i) => f(all.map((a) => a[i])));
      // float32 sums in rank order, as the reference MPI reduction over 2 ranks does
      const sum = ref((v) => v.reduce((s, t) => (dtype === 'float32' ? Math.fround(s + t) : s + t), 0));
      const tol = dtype === 'float32' ? 1e-6 : 0;
      const tag = `${device} ${dtype} n=${n}`;
      expectEqual(`allReduceSum ${tag}`, D.allReduceSum(x), sum, [n], tol);
      expectEqual(
        `allReduceMax ${tag}`,
        D.allReduceMax(x),
        ref((v) => Math.max(...v)),
        [n],
        0,
      );
      expectEqual(
        `allReduceMin ${tag}`,
        D.allReduceMin(x),
        ref((v) => Math.min(...v)),
        [n],
        0,
      );
      if (dtype === 'float32') {
        expectEqual(
          `allReduceMean ${tag}`,
          D.allReduceMean(x),
          sum.map((s) => s / size),
          [n],
          tol,
        );
      }
      const root = size - 1;
      expectEqual(`broadcast ${tag}`, D.broadcast(x, root), all[root], [n], 0);
      const gathered = new Float64Array(n * size);
      for (let r = 0; r < size; r++) gathered.set(all[r], r * n);
      expectEqual(`allGather ${tag}`, D.allGather(x), gathered, [n * size], 0);
      // reduceScatterSum needs a first dimension divisible by size: use the [size, n] view
      const all2 = Array.from({ length: size }, (_, r) => input(r + 7, n * size, dtype));
      const x2 = tensor(all2[rank], { dtype, device, shape: [size, n] });
      const full = Array.from({ length: n * size }, (_, i) =>
        all2.reduce((s, a) => (dtype === 'float32' ? Math.fround(s + a[i]) : s + a[i]), 0),
      );
      expectEqual(`reduceScatterSum ${tag}`, D.reduceScatterSum(x2), full.slice(rank * n, (rank + 1) * n), [1, n], tol);
      checks += 7;
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
