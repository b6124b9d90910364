// The zoo's hub networks against the engines users would pick instead, in the same run:
// ResNet-18 (CIFAR stem) training at 32×32 b32 and the character GPT's training step against
// PyTorch; ResNet-50 (b1, b8), ShuffleNetV2 x1.0 and MobileNetV2 (b1) inference at 224² against
// onnxruntime-node running ONNX files exported by PyTorch from our weights; peak RSS of the
// ResNet-18 loop; forward GFLOP/s per convolution kind next to a GEMM peak.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GradManager, noGrad, random, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { trace } from '@mge/jit';
import { cpuInfo } from '@mge/kernels-cpu';
import { CharGPT, createModel, resnet18 } from '@mge/models-zoo';
import type { Module } from '@mge/module';
import { SGD } from '@mge/optimizer';
import * as ort from 'onnxruntime-node';
import { labels, yieldToEventLoop } from './lenet-trainer.js';
import type { Report } from './report.js';
import { measure, randomFloats, type Timing } from './stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PEER = join(dirname(HERE), 'python', 'zoo_peer.py');
const PYTHON = '/usr/bin/python3';

/** Runs the PyTorch peer; null (with a note saying why) when torch is not installed or it fails. */
function torchPeer(report: Report, args: string[]): Record<string, unknown> | null {
  if (!existsSync(PYTHON)) {
    report.note(`PyTorch peer skipped: ${PYTHON} is not installed`);
    return null;
  }
  const r = spawnSync(PYTHON, [PEER, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    const why = /No module named 'torch'/.test(r.stderr)
      ? 'torch is not installed for /usr/bin/python3'
      : r.stderr.trim().split('\n').at(-1);
    report.note(`PyTorch peer '${args[0]}' skipped: ${why}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

const slowOpts = (quick: boolean) => ({ warmup: 1, minRuns: quick ? 2 : 3, minTimeMs: 0 });

function trainer(model: Module): (x: Tensor, y: Tensor) => Promise<void> {
  const gm = new GradManager().attach(model.parameters());
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  model.train();
  return async (x, y) => {
    gm.record();
    const out = model(x) as Tensor;
    const loss = F.crossEntropy(out.reshape([-1, out.shape[out.ndim - 1]]), y.reshape([-1]));
    gm.backward(loss);
    opt.step().clearGrad();
    await loss.data();
    await yieldToEventLoop();
  };
}

/** trainer's step under jit.trace (symbolic: the step is recorded once and replayed). */
function tracedTrainer(model: Module): (x: Tensor, y: Tensor) => Promise<void> {
  const gm = new GradManager().attach(model.parameters());
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  model.train();
  const step = trace(
    (x: Tensor, y: Tensor) => {
      gm.record();
      const out = model(x) as Tensor;
      const loss = F.crossEntropy(out.reshape([-1, out.shape[out.ndim - 1]]), y.reshape([-1]));
      gm.backward(loss);
      opt.step().clearGrad();
      return loss;
    },
    { symbolic: true },
  );
  return async (x, y) => {
    await step(x, y).data();
    await yieldToEventLoop();
  };
}

function fromTorch(t: Record<string, unknown>): Timing {
  return { medianMs: t.medianMs as number, minMs: t.minMs as number, maxMs: t.maxMs as number, runs: t.runs as number };
}

async function trainRows(report: Report, threads: number, quick: boolean): Promise<void> {
  const b = 32;
  random.seed(1);
  const step = trainer(resnet18({ stem: 'cifar', numClasses: 10 }));
  const x = tensor(randomFloats(b * 3 * 32 * 32, 3), { shape: [b, 3, 32, 32] });
  const y = tensor(labels(b, 4), { dtype: 'int32', shape: [b] });
  const t = await measure(() => step(x, y), slowOpts(quick));
  const w = 'resnet18 (cifar) train step 32² b32';
  report.add({ group: 'zoo', workload: w, impl: 'mge cpu', timing: t, value: (b * 1000) / t.medianMs, unit: 'img/s' });
  const pt = torchPeer(report, ['train-resnet18', String(threads), String(b), quick ? '2' : '3']);
  if (pt)
    report.add({
      group: 'zoo',
      workload: w,
      impl: `pytorch ${pt.torch}`,
      timing: fromTorch(pt),
      value: (b * 1000) / (pt.medianMs as number),
      unit: 'img/s',
    });
  rssRow(report, 'resnet18', quick ? 6 : 12, pt);
  rssRow(report, 'resnet50', quick ? 3 : 6, torchPeer(report, ['train-resnet50', String(threads), '16', quick ? '2' : '4']));

  const gb = 16;
  const gpt = new CharGPT({ vocabSize: 96, blockSize: 64 });
  const gstep = trainer(gpt);
  const ids = tensor(
    Int32Array.from(labels(gb * 64, 5), (v, i) => (v * 7 + i) % 96),
    { dtype: 'int32', shape: [gb, 64] },
  );
  const next = tensor(
    Int32Array.from(labels(gb * 64, 6), (v, i) => (v * 11 + i) % 96),
    { dtype: 'int32', shape: [gb, 64] },
  );
  const gt = await measure(() => gstep(ids, next), { warmup: 2, minRuns: 5, minTimeMs: quick ? 500 : 2000 });
  const gw = 'char-gpt train step b16×64 tokens';
  report.add({ group: 'zoo', workload: gw, impl: 'mge cpu', timing: gt, value: (gb * 1000) / gt.medianMs, unit: 'seq/s' });
  // the same step under jit.trace (recorded once, replayed without per-operator dispatch)
  const tstep = tracedTrainer(new CharGPT({ vocabSize: 96, blockSize: 64 }));
  const tt = await measure(() => tstep(ids, next), { warmup: 2, minRuns: 5, minTimeMs: quick ? 500 : 2000 });
  report.add({ group: 'zoo', workload: gw, impl: 'mge cpu traced', timing: tt, value: (gb * 1000) / tt.medianMs, unit: 'seq/s' });
  const gp = torchPeer(report, ['train-gpt', String(threads), String(gb), quick ? '5' : '20']);
  if (gp)
    report.add({
      group: 'zoo',
      workload: gw,
      impl: `pytorch ${gp.torch}`,
      timing: fromTorch(gp),
      value: (gb * 1000) / (gp.medianMs as number),
      unit: 'seq/s',
    });
}

/**
 * Peak RSS of our training loop (src/rss-train.ts, eager and traced, each in a process of its
 * own as the PyTorch peer is) next to PyTorch's: ResNet-18 (CIFAR, b32) or ResNet-50 (224², b16).
 */
function rssRow(report: Report, model: 'resnet18' | 'resnet50', steps: number, pt: Record<string, unknown> | null): void {
  const label = model === 'resnet18' ? 'ResNet-18 (CIFAR) b32' : 'ResNet-50 224² b16';
  for (const mode of ['eager', 'traced']) {
    const r = spawnSync(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', join(HERE, 'rss-train.ts'), model, String(steps), mode],
      {
        cwd: dirname(HERE),
        encoding: 'utf8',
        env: { ...process.env, MGE_QUIET: '1' },
        maxBuffer: 1 << 24,
      },
    );
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) {
      report.note(
        `peak RSS, ${label} training (${mode}): the loop failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`,
      );
      continue;
    }
    const ours = JSON.parse(line) as { peakRss: number; loadedRss: number; rss: number[] };
    const peer = pt
      ? `; PyTorch ${(pt.peakRssMiB as number).toFixed(0)} MiB (${(pt.loadedRssMiB as number).toFixed(0)} before its first step) → ${(ours.peakRss / (pt.peakRssMiB as number)).toFixed(2)}× (target ≤ 1×)`
      : '';
    report.note(
      `peak RSS, ${label} training, ${steps} steps (${mode}): ${ours.peakRss.toFixed(0)} MiB (${ours.loadedRss.toFixed(0)} before the first step, ${ours.rss.at(-1)?.toFixed(0)} at the end)${peer}`,
    );
  }
}

/** Our weights in the peer's format: u32 header length, JSON [{name, shape, offset}], float32 data. */
async function writeWeights(model: Module, path: string): Promise<void> {
  const header: { name: string; shape: number[]; offset: number }[] = [];
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const [name, t] of model.namedTensors()) {
    header.push({ name, shape: [...t.shape], offset });
    parts.push(Float32Array.from(await t.data()));
    offset += t.size;
  }
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(h.length);
  writeFileSync(path, Buffer.concat([len, h, ...parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))]));
}

/**
 * Timings of several implementations of one workload, measured in alternation (a round of
 * `runs` calls of each, `rounds` times), so that the load of a shared machine falls on all alike.
 */
async function alternated(fns: Record<string, () => Promise<unknown>>, rounds: number, runs: number): Promise<Record<string, Timing>> {
  const samples: Record<string, number[]> = {};
  for (const [k, fn] of Object.entries(fns)) {
    samples[k] = [];
    await fn(); // warm-up
    await yieldToEventLoop();
  }
  for (let r = 0; r < rounds; r++) {
    for (const [k, fn] of Object.entries(fns)) {
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await fn();
        samples[k].push(performance.now() - t0);
        await yieldToEventLoop();
      }
    }
  }
  const out: Record<string, Timing> = {};
  for (const [k, v] of Object.entries(samples)) {
    v.sort((a, b) => a - b);
    const mid = v.length >> 1;
    out[k] = { medianMs: v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2, minMs: v[0], maxMs: v[v.length - 1], runs: v.length };
  }
  return out;
}

/**
 * Inference at 224² of the zoo's ImageNet networks, three ways in alternation: eager (each
 * operator dispatched), the deployment path (`trace` with captureAsConst and
 * optimizeForInference: BatchNorm folded, convolution tails in the epilogue, a planned replay),
 * and onnxruntime-node on ONNX files that PyTorch exports from our weights.
 */
export async function inferenceRows(report: Report, threads: number, quick: boolean): Promise<void> {
  const dir = join(tmpdir(), 'mge-bench-zoo');
  mkdirSync(dir, { recursive: true });
  // MGE_BENCH_ZOO_MODELS=mobilenet_v2,… measures only those (repeated runs of the fast rows)
  const pick = process.env.MGE_BENCH_ZOO_MODELS?.split(',');
  const cases = (
    [
      ['resnet50', [1, 8]],
      ['shufflenet_v2_x1_0', [1]],
      ['mobilenet_v2', [1]],
    ] as [string, number[]][]
  ).filter(([name]) => !pick || pick.includes(name));
  for (const [name, batches] of cases) {
    random.seed(2);
    const model = createModel(name).eval();
    const eager = (x: Tensor) => noGrad(() => model(x) as Tensor);
    const traced = trace(eager, { captureAsConst: true, optimizeForInference: true });
    let session: ort.InferenceSession | null = null;
    const weights = join(dir, `${name}.bin`);
    const onnx = join(dir, `${name}.onnx`);
    await writeWeights(model, weights);
    if (torchPeer(report, ['export', name, weights, onnx])) {
      session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: threads, interOpNumThreads: 1 });
    }
    for (const b of batches) {
      const data = randomFloats(b * 3 * 224 * 224, 9);
      const x = tensor(data, { shape: [b, 3, 224, 224] });
      const w = `${name} inference 224² b${b}`;
      const ref = await eager(x).data();
      // the traced program is recorded by the first call, verified by the second, replayed after
      for (let i = 0; i < 3; i++) await traced(x).data();
      const fast = await traced(x).data();
      let tErr = 0;
      for (let i = 0; i < ref.length; i++) tErr = Math.max(tErr, Math.abs(ref[i] - fast[i]) / Math.max(1, Math.abs(ref[i])));
      report.note(`${w}: traced (optimizeForInference) vs eager, max relative difference ${tErr.toExponential(2)}`);
      const fns: Record<string, () => Promise<unknown>> = {
        eager: () => eager(x).data(),
        traced: () => traced(x).data(),
      };
      if (session) {
        const s = session;
        const input = new ort.Tensor('float32', data, [b, 3, 224, 224]);
        const out = await s.run({ x: input });
        // same weights, same input: the outputs agree, so both sides compute the same network
        const got = out.y.data as Float32Array;
        let err = 0;
        for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(ref[i] - got[i]));
        report.note(`${w}: max |ours − onnxruntime| = ${err.toExponential(2)}`);
        fns.ort = () => s.run({ x: input });
      }
      const rounds = quick ? 3 : 5;
      const t = await alternated(fns, rounds, b === 1 ? (quick ? 4 : 8) : quick ? 1 : 2);
      const row = (impl: string, timing: Timing) =>
        report.add({ group: 'zoo', workload: w, impl, timing, value: (b * 1000) / timing.medianMs, unit: 'img/s' });
      row('mge cpu', t.eager);
      row('mge cpu traced (optimizeForInference)', t.traced);
      if (t.ort) {
        row('onnxruntime-node', t.ort);
        report.note(
          `${w}: latency ours/onnxruntime (medians; fastest runs) — eager ${(t.eager.medianMs / t.ort.medianMs).toFixed(2)}×; ${(t.eager.minMs / t.ort.minMs).toFixed(2)}×, traced ${(t.traced.medianMs / t.ort.medianMs).toFixed(2)}×; ${(t.traced.minMs / t.ort.minMs).toFixed(2)}× (alternated, ${rounds} rounds, ${threads} threads)`,
        );
      }
    }
  }
}

// kind → [batch, in channels, side, out channels, kernel, groups, stride], padding (kernel − 1) / 2 (as zoo_peer.py)
const LAYERS: Record<string, [number, number, number, number, number, number, number]> = {
  'conv 3×3 64→64 @56² b8': [8, 64, 56, 64, 3, 1, 1],
  'conv 1×1 256→64 @56² b8': [8, 256, 56, 64, 1, 1, 1],
  'depthwise 3×3 144 @56² b8': [8, 144, 56, 144, 3, 144, 1],
  'depthwise 3×3 s2 96 @112² b1': [1, 96, 112, 96, 3, 96, 2],
  'depthwise 3×3 576 @14² b1': [1, 576, 14, 576, 3, 576, 1],
  'grouped 3×3 128 g32 @28² b8': [8, 128, 28, 128, 3, 32, 1],
  'grouped 1×1 240 g3 @28² b8': [8, 240, 28, 240, 1, 3, 1],
};

async function layerRows(report: Report, threads: number, quick: boolean): Promise<void> {
  const pt = torchPeer(report, ['layers', String(threads)]);
  if (pt)
    report.note(
      `PyTorch ${pt.torch} (${threads} threads) sgemm 2048³: ${(pt['sgemm 2048³ (peak proxy)'] as number).toFixed(1)} GFLOP/s — the measured peak these rows are compared with`,
    );
  for (const [kind, [n, c, h, o, k, g, s]] of Object.entries(LAYERS)) {
    const x = tensor(randomFloats(n * c * h * h, 1), { shape: [n, c, h, h] });
    const wshape = g === 1 ? [o, c, k, k] : [g, o / g, c / g, k, k];
    const w = tensor(
      randomFloats(
        wshape.reduce((a, b) => a * b, 1),
        2,
      ),
      { shape: wshape },
    );
    const oh = Math.floor((h + k - 1 - k) / s) + 1;
    const flops = 2 * n * o * (c / g) * k * k * oh * oh;
    // The result is computed (the cpu backend runs synchronously) and freed, not copied out: the
    // PyTorch row times F.conv2d alone, and a 14 MB copy into a JS array would dominate small layers.
    const run = () =>
      noGrad(() => {
        const y = F.conv2d(x, w, null, { stride: s, padding: (k - 1) / 2, groups: g });
        y.ref('bench');
        y.dispose();
      });
    const t = await measure(run, {
      warmup: 1,
      minRuns: 3,
      minTimeMs: quick ? 300 : 1000,
      between: yieldToEventLoop,
    });
    report.add({ group: 'zoo', workload: `forward ${kind}`, impl: 'mge cpu', timing: t, value: flops / t.medianMs / 1e6, unit: 'GFLOP/s' });
    if (pt && typeof pt[kind] === 'number') {
      const gf = pt[kind] as number;
      const ms = flops / gf / 1e6;
      report.add({
        group: 'zoo',
        workload: `forward ${kind}`,
        impl: `pytorch ${pt.torch}`,
        timing: { medianMs: ms, minMs: ms, maxMs: ms, runs: 10 },
        value: gf,
        unit: 'GFLOP/s',
      });
    }
  }
}

export async function benchZoo(report: Report, quick: boolean): Promise<void> {
  setDefaultDevice('cpu');
  const { threads, isa } = cpuInfo();
  report.note(`zoo rows: cpu backend ${isa}, ${threads} threads; PyTorch and onnxruntime-node set to ${threads} threads`);
  await trainRows(report, threads, quick);
  await inferenceRows(report, threads, quick);
  await layerRows(report, threads, quick);
}

/** The inference rows alone (`--only=zoo-infer`; MGE_NUM_THREADS sets the threads of all three). */
export async function benchZooInference(report: Report, quick: boolean): Promise<void> {
  setDefaultDevice('cpu');
  const { threads, isa } = cpuInfo();
  report.note(`zoo inference rows: cpu backend ${isa}, ${threads} threads; onnxruntime-node set to ${threads} threads`);
  await inferenceRows(report, threads, quick);
}
