// gather (an embedding lookup) and topk on the cpu backend's native kernels, on the same
// backend without its topk kernel (argsort's first k, what topk was before the kernel), with
// all those kernels hidden (core's composed defaults), on the js backend, and on
// tfjs-backend-cpu / -wasm, all in one run.
import { type Backend, getDefaultDevice, registerBackend, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { CpuBackend } from '@mge/kernels-cpu';
import { loadTf, useTf } from './peers.js';
import type { Report } from './report.js';
import { measure, randomFloats } from './stats.js';

const COMPOSED = 'cpu-composed';
const NO_TOPK = 'cpu-argsort';

export async function benchIndexing(report: Report, quick: boolean): Promise<void> {
  console.log('\nindexing: embedding lookup (gather) and topk (partial selection)');
  registerBackend(
    COMPOSED,
    () => {
      const b = new CpuBackend() as Backend;
      // hiding the optional kernels makes core run its composed defaults
      Object.assign(b, { gather: undefined, scatterAdd: undefined, argsort: undefined, topk: undefined });
      return b;
    },
    -1,
  );
  registerBackend(NO_TOPK, () => Object.assign(new CpuBackend() as Backend, { topk: undefined }), -1);
  const [vocab, dim, lookups] = [1000, 64, 4096];
  const table = randomFloats(vocab * dim, 7);
  const ids = Int32Array.from({ length: lookups }, (_, i) => (i * 7919) % vocab);
  const [rows, cols, k] = [64, 256, 5];
  const scores = randomFloats(rows * cols, 8);
  const opts = { minRuns: 5, minTimeMs: quick ? 300 : 1500 };
  const previous = getDefaultDevice();

  for (const [device, impl] of [
    ['cpu', 'mge cpu (kernels)'],
    [NO_TOPK, 'mge cpu (argsort, no topk kernel)'],
    ['js', 'mge js'],
    [COMPOSED, 'mge cpu (composed)'],
  ] as const) {
    setDefaultDevice(device);
    const topkOnly = device === NO_TOPK || device === 'js';
    const w = tensor(table, { shape: [vocab, dim] });
    const idx = tensor(ids);
    const x = tensor(scores, { shape: [rows, cols] });
    const run = async (f: () => Tensor | Tensor[]) => {
      const out = f();
      await (Array.isArray(out) ? out[0] : out).data();
    };
    if (!topkOnly) {
      const tg = await measure(() => run(() => F.embedding(idx, w)), opts);
      report.add({
        group: 'indexing',
        workload: `embedding ${lookups} of ${vocab}x${dim}`,
        impl,
        timing: tg,
        value: lookups / (tg.medianMs * 1e3),
        unit: 'M rows/s',
      });
    }
    const tk = await measure(() => run(() => F.topk(x, k, { descending: true })), opts);
    report.add({
      group: 'indexing',
      workload: `topk k=${k} of ${rows}x${cols}`,
      impl,
      timing: tk,
      value: rows / (tk.medianMs * 1e3),
      unit: 'M rows/s',
    });
  }
  setDefaultDevice(previous);

  const tf = await loadTf();
  for (const name of ['wasm', 'cpu'] as const) {
    if (!(await useTf(name))) continue;
    const w = tf.tensor2d(table, [vocab, dim]);
    const idx = tf.tensor1d(ids, 'int32');
    const x = tf.tensor2d(scores, [rows, cols]);
    const impl = `tfjs-backend-${name}`;
    const tg = await measure(() => {
      const y = tf.gather(w, idx);
      y.dataSync();
      y.dispose();
    }, opts);
    report.add({
      group: 'indexing',
      workload: `embedding ${lookups} of ${vocab}x${dim}`,
      impl,
      timing: tg,
      value: lookups / (tg.medianMs * 1e3),
      unit: 'M rows/s',
    });
    const tk = await measure(() => {
      const { values, indices } = tf.topk(x, k, true);
      values.dataSync();
      values.dispose();
      indices.dispose();
    }, opts);
    report.add({
      group: 'indexing',
      workload: `topk k=${k} of ${rows}x${cols}`,
      impl,
      timing: tk,
      value: rows / (tk.medianMs * 1e3),
      unit: 'M rows/s',
    });
    w.dispose();
    idx.dispose();
    x.dispose();
  }
}
