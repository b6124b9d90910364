// SGEMM 1024³: our cpu backend at 1 and 2 threads, OpenBLAS and PyTorch at 1 and 2 threads (when
// installed), the js reference backend, and tfjs-backend-cpu / tfjs-backend-wasm matMul.
import { type Backend, getBackend, type MatmulParams } from '@mge/core';
import { cpuInfo, setNumThreads } from '@mge/kernels-cpu';
import { loadTf, useTf } from './peers.js';
import { pythonPeers } from './python-peers.js';
import type { Report } from './report.js';
import { measure, randomFloats } from './stats.js';

export async function benchSgemm(report: Report, n: number, quick: boolean): Promise<void> {
  console.log(`\nSGEMM ${n}³`);
  const flops = 2 * n * n * n;
  const a = randomFloats(n * n, 1);
  const b = randomFloats(n * n, 2);
  const p: MatmulParams = { batch: 1, m: n, n, k: n, transA: false, transB: false, batchA: 1, batchB: 1 };
  const workload = `sgemm ${n}x${n}x${n}`;

  const ours = async (backend: Backend, impl: string, slow: boolean) => {
    const ab = backend.upload(a);
    const bb = backend.upload(b);
    const ar = { buf: ab, shape: [n, n], dtype: 'float32' as const };
    const br = { buf: bb, shape: [n, n], dtype: 'float32' as const };
    const t = await measure(
      () => backend.release(backend.matmul(ar, br, p)),
      slow ? { warmup: 1, minRuns: quick ? 1 : 3, minTimeMs: 0 } : { minRuns: 10, minTimeMs: quick ? 300 : 2000 },
    );
    report.add({ group: 'sgemm', workload, impl, timing: t, value: flops / (t.medianMs * 1e6), unit: 'GFLOP/s' });
    backend.release(ab);
    backend.release(bb);
  };

  const cpu = getBackend('cpu');
  const defaultThreads = cpuInfo().threads;
  for (const threads of [1, 2]) {
    setNumThreads(threads);
    await ours(cpu, `mge cpu (${threads} thread${threads > 1 ? 's' : ''})`, false);
    // The guard against kernels that are correct but slow (accumulators spilled to the stack):
    // one thread must reach 80 % of the FMA peak measured in this run.
    const peak = report.context.fmaPeakGflops * threads;
    const got = report.rows[report.rows.length - 1].value;
    if (peak > 0) {
      const pct = (100 * got) / peak;
      report.note(
        `mge cpu SGEMM ${threads} thread(s): ${pct.toFixed(0)} % of the measured FMA peak (${peak.toFixed(0)} GFLOP/s)${threads === 1 && pct < 80 ? ' — BELOW the 80 % target' : ''}`,
      );
    }
  }
  setNumThreads(defaultThreads); // the later benchmarks run with the backend's default
  pythonPeers(report, 'sgemm', ['sgemm', String(n)], quick);

  await ours(getBackend('wasm'), 'mge wasm', false);
  await ours(getBackend('js'), 'mge js', true);

  const tf = await loadTf();
  for (const name of ['wasm', 'cpu'] as const) {
    if (!(await useTf(name))) continue;
    const ta = tf.tensor2d(a, [n, n]);
    const tb = tf.tensor2d(b, [n, n]);
    const slow = name === 'cpu';
    const t = await measure(
      () => {
        const c = tf.matMul(ta, tb);
        c.dataSync();
        c.dispose();
      },
      // tfjs-backend-cpu needs ~15 s per 1024³ product: one untimed warm-up would double that for nothing.
      slow ? { warmup: 0, minRuns: quick ? 1 : 2, minTimeMs: 0 } : { minRuns: 5, minTimeMs: quick ? 300 : 2000 },
    );
    report.add({ group: 'sgemm', workload, impl: `tfjs-backend-${name}`, timing: t, value: flops / (t.medianMs * 1e6), unit: 'GFLOP/s' });
    ta.dispose();
    tb.dispose();
  }
}
