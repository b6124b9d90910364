// SGEMM 1024³: our cpu backend at 1 and 2 threads, OpenBLAS and PyTorch at 1 and 2 threads (when
// installed), the js reference backend, and tfjs-backend-cpu / tfjs-backend-wasm matMul. Every
// native row is also given as a share of the FMA peak measured in this run.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { type Backend, getBackend, type MatmulParams } from '@mge/core';
import { cpuInfo, measureFmaPeak, setNumThreads } from '@mge/kernels-cpu';
import { loadTf, useTf } from './peers.js';
import { pythonPeers } from './python-peers.js';
import type { Report } from './report.js';
import { measure, randomFloats } from './stats.js';

/** CPU family / model / stepping from /proc/cpuinfo (x86 Linux), else the model name. */
function cpuFamily(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (k: string) => new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1];
    const family = field('cpu family');
    if (family) return `${field('vendor_id') ?? ''} family ${family} model ${field('model')} stepping ${field('stepping')}`.trim();
  } catch {
    // not Linux: the model name below
  }
  return cpus()[0]?.model ?? 'unknown CPU';
}

export async function benchSgemm(report: Report, n: number, quick: boolean): Promise<void> {
  console.log(`\nSGEMM ${n}³`);
  // The peak is measured again next to the SGEMM rows (the run's start may have been a busier
  // moment); the higher of the two is the peak every row is held to.
  const peak1 = Math.max(report.context.fmaPeakGflops, measureFmaPeak());
  console.log(
    `  ISA path ${report.context.isa} · ${cpuFamily()} (${report.context.cpu}) · FMA peak ${peak1.toFixed(0)} GFLOP/s per thread`,
  );
  const firstRow = report.rows.length;
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
    const got = report.rows[report.rows.length - 1].value;
    if (peak1 > 0 && threads === 1 && (100 * got) / peak1 < 80)
      report.note(`mge cpu SGEMM 1 thread: ${((100 * got) / peak1).toFixed(0)} % of the measured FMA peak — BELOW the 80 % target`);
  }
  setNumThreads(defaultThreads); // the later benchmarks run with the backend's default
  pythonPeers(report, 'sgemm', ['sgemm', String(n)], quick);
  if (peak1 > 0) {
    // Ours and the native peers (OpenBLAS, PyTorch's mm) as shares of threads × the peak.
    const shares = report.rows.slice(firstRow).map((r) => {
      const threads = /\((\d+) threads?\)/.exec(r.impl)?.[1] ?? '1';
      return `${r.impl} ${((100 * r.value) / (peak1 * Number(threads))).toFixed(0)} %`;
    });
    report.note(
      `SGEMM ${n}³ as a share of the FMA peak (${report.context.isa}, ${peak1.toFixed(0)} GFLOP/s per thread × threads): ${shares.join(', ')}`,
    );
  }

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
