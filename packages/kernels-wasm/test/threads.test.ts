// The threaded module against the single-thread one: the same kernels split over workers must
// give the same values (every split of a kernel writes disjoint rows, so bit for bit), and
// its malloc must survive scratch allocations from several threads at once.
import { describe, expect, it } from 'vitest';
import { instantiateKernels, setWasmThreads, threadedWasmUrl, WasmBackend, wasmUrl } from '../src/index.js';

function data(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = ((x >>> 8) / 2 ** 24) * 2 - 1;
  }
  return out;
}

async function backends() {
  const single = await instantiateKernels(wasmUrl);
  const threaded = await instantiateKernels(threadedWasmUrl, 3);
  return { single, threaded, a: new WasmBackend(single.kernels), b: new WasmBackend(threaded.kernels, { threads: threaded.threads }) };
}

describe('threaded module', () => {
  it('starts its workers over one shared memory', async () => {
    const { single, threaded, b } = await backends();
    expect(single).toMatchObject({ build: 'single', threads: 1 });
    expect(threaded).toMatchObject({ build: 'threads', threads: 3 });
    expect(threaded.kernels.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(b.description).toBe('WebAssembly (wasm-simd128 GEMM, 3 threads)');
  });
  it('matmul, conv2d (forward and both gradients) and pooling agree with the single-thread module', async () => {
    const { a, b } = await backends();
    const conv = { n: 8, c: 6, h: 14, w: 14, o: 16, kh: 5, kw: 5, oh: 10, ow: 10, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, groups: 1 };
    const mat = { batch: 2, m: 150, n: 130, k: 200, transA: false, transB: false, batchA: 2, batchB: 2 };
    const pool = { n: 8, c: 16, h: 10, w: 10, kh: 2, kw: 2, oh: 5, ow: 5, sh: 2, sw: 2, ph: 0, pw: 0 };
    const run = (be: WasmBackend) => {
      const ref = (n: number, seed: number, s: number[]) => ({ buf: be.upload(data(n, seed)), shape: s, dtype: 'float32' as const });
      const x = ref(8 * 6 * 14 * 14, 1, [8, 6, 14, 14]);
      const w = ref(16 * 6 * 5 * 5, 2, [16, 6, 5, 5]);
      const dy = ref(8 * 16 * 10 * 10, 5, [8, 16, 10, 10]);
      const out = [
        be.conv2d(x, w, conv),
        be.conv2dBackwardInput(dy, w, conv),
        be.conv2dBackwardFilter(x, dy, conv),
        be.matmul(ref(2 * 150 * 200, 3, [2, 150, 200]), ref(2 * 200 * 130, 4, [2, 200, 130]), mat),
        be.pool2d('max', dy, pool),
      ];
      return out.map((buf) => Array.from(be.readSync(buf, 'float32', buf.length) as Float32Array));
    };
    const want = run(a);
    const got = run(b);
    // Splits write disjoint rows; only a filter gradient's partial sums may add in another order.
    for (let i = 0; i < want.length; i++) {
      expect(got[i].length).toBe(want[i].length);
      const scale = Math.max(...want[i].map(Math.abs));
      const worst = Math.max(...want[i].map((v, j) => Math.abs(v - got[i][j])));
      expect(worst).toBeLessThanOrEqual(1e-6 * scale);
    }
  });
  it('setWasmThreads names a bad count', () => {
    expect(() => setWasmThreads(0)).toThrow(/setWasmThreads: n must be an integer in \[1, 64\], got 0/);
    expect(() => setWasmThreads(2.5)).toThrow(/got 2\.5/);
  });
});
