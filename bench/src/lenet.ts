// LeNet (from MegEngine's network-building guide examples, 1×32×32 → 10) on synthetic data: a training step (SGD
// momentum 0.9, cross-entropy) at batch 64 and 256, inference at batch 256 and
// latency at batch 1 — on our cpu and js devices, and the same network written in
// tfjs-core ops (NHWC) on tfjs-backend-cpu and tfjs-backend-wasm.
import { getBackend, noGrad, random, setDefaultDevice, type Tensor, tensor, tidy } from '@mge/core';
import * as ort from 'onnxruntime-node';
import { labels, lenetTrainer, yieldToEventLoop } from './lenet-trainer.js';
import { lenetOnnx } from './onnx-lenet.js';
import { loadTf, useTf } from './peers.js';
import { pythonPeers } from './python-peers.js';
import type { Report } from './report.js';
import { type MeasureOptions, measure, measureAlternating, randomFloats } from './stats.js';
import { tfjsLenet } from './tfjs-lenet.js';

// Fast runs: a warm-up long enough for the JIT and the buffer pools to settle, then up to 1000
// runs within the time budget (a 3.5 ms step would otherwise stop at measure's default of 200).
function opts(slow: boolean, quick: boolean): MeasureOptions {
  return slow
    ? { warmup: 1, minRuns: quick ? 1 : 3, minTimeMs: 0 }
    : { warmup: 10, minRuns: 10, minTimeMs: quick ? 500 : 2000, maxRuns: 1000 };
}

async function oursLenet(report: Report, device: string, quick: boolean): Promise<void> {
  setDefaultDevice(device);
  random.seed(1);
  const { model, step } = lenetTrainer();
  const slow = device === 'js';
  const impl = `mge ${device}`;
  for (const batch of [64, 256]) {
    if (slow && quick && batch === 256) continue;
    const x = tensor(randomFloats(batch * 32 * 32, batch), { shape: [batch, 1, 32, 32], device });
    const y = tensor(labels(batch, batch + 1), { dtype: 'int32', shape: [batch], device });
    const t = await measure(() => step(x, y), opts(slow, quick));
    report.add({
      group: 'lenet',
      workload: `lenet train step b${batch}`,
      impl,
      timing: t,
      value: (batch * 1000) / t.medianMs,
      unit: 'img/s',
    });
  }
  for (const batch of [256, 1]) {
    if (device === 'wasm' && batch === 256) continue; // wasmInference: alternated with tfjs-backend-wasm
    const x = tensor(randomFloats(batch * 32 * 32, 7), { shape: [batch, 1, 32, 32], device });
    // tidy frees the intermediates at once, as tf.tidy does in tfjs's loop below (otherwise they
    // wait for the garbage collector, which does not see a wasm module's memory as pressure).
    // The event loop turns between runs, outside the timed region.
    const t = await measure(
      async () => {
        const out = noGrad(() => tidy(() => model(x) as Tensor));
        await out.data();
        out.dispose();
      },
      batch === 1
        ? { warmup: 20, minRuns: 200, minTimeMs: quick ? 300 : 1500, maxRuns: 20000, between: yieldToEventLoop }
        : { ...opts(slow, quick), between: yieldToEventLoop },
    );
    const name = batch === 1 ? 'lenet latency b1' : `lenet inference b${batch}`;
    report.add({ group: 'lenet', workload: name, impl, timing: t, value: (batch * 1000) / t.medianMs, unit: 'img/s' });
  }
  // The backend's memory after the run, for the RSS/pool picture.
  const m = getBackend(device).memory();
  report.note(
    `${impl} after LeNet: ${m.liveBuffers} live buffers, ${(m.liveBytes / 2 ** 20).toFixed(1)} MiB live, ${(m.pooledBytes / 2 ** 20).toFixed(1)} MiB pooled`,
  );
}

async function tfLenet(report: Report, name: 'cpu' | 'wasm', quick: boolean): Promise<void> {
  const tf = await loadTf();
  if (!(await useTf(name))) return;
  const impl = `tfjs-backend-${name}`;
  const slow = name === 'cpu';
  const { params, forward } = tfjsLenet(tf, randomFloats);
  const opt = tf.train.momentum(0.01, 0.9);
  for (const batch of [64, 256]) {
    if (slow && quick && batch === 256) continue;
    const x = tf.tensor4d(randomFloats(batch * 32 * 32, batch), [batch, 32, 32, 1]);
    const y = tf.oneHot(tf.tensor1d(labels(batch, batch + 1), 'int32'), 10);
    try {
      const t = await measure(
        () => {
          const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)) as import('@tensorflow/tfjs-core').Scalar, true);
          loss?.dataSync();
          loss?.dispose();
        },
        opts(slow, quick),
      );
      report.add({
        group: 'lenet',
        workload: `lenet train step b${batch}`,
        impl,
        timing: t,
        value: (batch * 1000) / t.medianMs,
        unit: 'img/s',
      });
    } catch (e) {
      // tfjs-core's Node (CommonJS) bundle ships without its gradient registrations (they live in
      // an ES-module side-effect file Node cannot load), so tfjs training cannot run here.
      report.note(`${impl} cannot train LeNet: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      break;
    }
    x.dispose();
    y.dispose();
  }
  for (const batch of [256, 1]) {
    if (name === 'wasm' && batch === 256) continue; // wasmInference: alternated with mge wasm
    const x = tf.tensor4d(randomFloats(batch * 32 * 32, 7), [batch, 32, 32, 1]);
    const t = await measure(
      () => {
        const out = tf.tidy(() => forward(x));
        out.dataSync();
        out.dispose();
      },
      batch === 1 ? { warmup: 20, minRuns: 50, minTimeMs: quick ? 300 : 1500, maxRuns: 20000 } : opts(slow, quick),
    );
    const wname = batch === 1 ? 'lenet latency b1' : `lenet inference b${batch}`;
    report.add({ group: 'lenet', workload: wname, impl, timing: t, value: (batch * 1000) / t.medianMs, unit: 'img/s' });
    x.dispose();
  }
  for (const p of Object.values(params)) p.dispose();
}

/**
 * Inference b256 on `mge wasm` and on `tfjs-backend-wasm`, run by run in turn: the 2×
 * target is a ratio of these two rows, which swings with the machine's load when they are timed
 * minutes apart.
 */
async function wasmInference(report: Report, quick: boolean): Promise<void> {
  const tf = await loadTf();
  if (!(await useTf('wasm'))) return;
  const batch = 256;
  setDefaultDevice('wasm');
  random.seed(1);
  const { model } = lenetTrainer();
  const x = tensor(randomFloats(batch * 32 * 32, 7), { shape: [batch, 1, 32, 32], device: 'wasm' });
  const { params, forward } = tfjsLenet(tf, randomFloats);
  const tx = tf.tensor4d(randomFloats(batch * 32 * 32, 7), [batch, 32, 32, 1]);
  const [ours, peer] = await measureAlternating(
    [
      async () => {
        const out = noGrad(() => tidy(() => model(x) as Tensor));
        await out.data();
        out.dispose();
      },
      () => {
        const out = tf.tidy(() => forward(tx));
        out.dataSync();
        out.dispose();
      },
    ],
    { ...opts(false, quick), between: yieldToEventLoop },
  );
  const workload = `lenet inference b${batch}`;
  const value = (t: typeof ours) => (batch * 1000) / t.medianMs;
  report.add({ group: 'lenet', workload, impl: 'mge wasm', timing: ours, value: value(ours), unit: 'img/s' });
  report.add({ group: 'lenet', workload, impl: 'tfjs-backend-wasm', timing: peer, value: value(peer), unit: 'img/s' });
  x.dispose();
  tx.dispose();
  for (const p of Object.values(params)) p.dispose();
}

/** onnxruntime-node (its default CPU provider and threading) on the same network, inference only. */
async function ortLenet(report: Report, quick: boolean): Promise<void> {
  const session = await ort.InferenceSession.create(lenetOnnx());
  for (const batch of [256, 1]) {
    const x = new ort.Tensor('float32', randomFloats(batch * 32 * 32, 7), [batch, 1, 32, 32]);
    const t = await measure(
      async () => {
        const r = await session.run({ x });
        r.y.dispose?.();
      },
      batch === 1 ? { warmup: 20, minRuns: 200, minTimeMs: quick ? 300 : 1500, maxRuns: 20000 } : opts(false, quick),
    );
    const wname = batch === 1 ? 'lenet latency b1' : `lenet inference b${batch}`;
    report.add({ group: 'lenet', workload: wname, impl: 'onnxruntime-node', timing: t, value: (batch * 1000) / t.medianMs, unit: 'img/s' });
  }
  await session.release();
}

export async function benchLenet(report: Report, quick: boolean): Promise<void> {
  console.log('\nLeNet');
  for (const device of ['cpu', 'wasm', 'js']) await oursLenet(report, device, quick);
  await ortLenet(report, quick);
  pythonPeers(report, 'lenet', ['lenet'], quick);
  for (const name of ['wasm', 'cpu'] as const) await tfLenet(report, name, quick);
  await wasmInference(report, quick);
}
