// jit.trace against eager execution and onnxruntime-node, in the same run: LeNet (MegEngine's
// network-building guide examples) latency at batch 1 traced vs onnxruntime-node, the LeNet
// training step at batch 64 traced vs eager (cpu, js), and the zoo's ResNet-18 (CIFAR stem)
// training step at batch 32 traced vs eager (cpu).
import { GradManager, noGrad, random, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { trace } from '@mge/jit';
import { LeNet, resnet18 } from '@mge/models-zoo';
import type { Module } from '@mge/module';
import { SGD } from '@mge/optimizer';
import * as ort from 'onnxruntime-node';
import { labels, yieldToEventLoop } from './lenet-trainer.js';
import { lenetOnnx } from './onnx-lenet.js';
import type { Report } from './report.js';
import { type MeasureOptions, measure, randomFloats } from './stats.js';

/** The training step of MegEngine's guide examples; the loss is read after the call. */
function stepOf(model: Module): (x: Tensor, y: Tensor) => Tensor {
  const gm = new GradManager().attach(model.parameters());
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  model.train();
  return (x, y) => {
    gm.record();
    const out = model(x) as Tensor;
    const loss = F.crossEntropy(out, y);
    gm.backward(loss);
    opt.step().clearGrad();
    return loss;
  };
}

const fast = (quick: boolean): MeasureOptions => ({ warmup: 10, minRuns: 10, minTimeMs: quick ? 500 : 2000, maxRuns: 1000 });
const slow = (quick: boolean): MeasureOptions => ({ warmup: 1, minRuns: quick ? 2 : 3, minTimeMs: 0 });
const latency = (quick: boolean): MeasureOptions => ({
  warmup: 20,
  minRuns: 200,
  minTimeMs: quick ? 300 : 1500,
  maxRuns: 20000,
  between: yieldToEventLoop,
});

async function trainRows(report: Report, device: string, name: string, make: () => Module, b: number, side: number, o: MeasureOptions) {
  setDefaultDevice(device);
  const channels = name.startsWith('resnet') ? 3 : 1;
  const x = tensor(randomFloats(b * channels * side * side, b), { shape: [b, channels, side, side], device });
  const y = tensor(labels(b, b + 1), { dtype: 'int32', shape: [b], device });
  // alternating eager and traced runs of the same step, each on its own model of equal weights
  for (const traced of [false, true, false, true]) {
    random.seed(1);
    const plain = stepOf(make());
    const step = traced ? trace(plain, { symbolic: true }) : plain;
    // a trace records on its first call and checks the recording on its second (both eager)
    if (traced) for (let i = 0; i < 2; i++) await step(x, y).data();
    const t = await measure(async () => {
      await step(x, y).data();
      await yieldToEventLoop();
    }, o);
    const impl = `mge ${device}${traced ? ' traced' : ''}`;
    const workload = `${name} train step b${b}`;
    const prev = report.rows.findIndex((r) => r.workload === workload && r.impl === impl);
    // the better of the two alternated runs (the machine is shared)
    if (prev >= 0 && report.rows[prev].timing.medianMs <= t.medianMs) continue;
    if (prev >= 0) report.rows.splice(prev, 1);
    report.add({ group: 'jit', workload, impl, timing: t, value: (b * 1000) / t.medianMs, unit: 'img/s' });
  }
}

async function latencyRows(report: Report, quick: boolean) {
  const session = await ort.InferenceSession.create(lenetOnnx());
  const data = randomFloats(32 * 32, 7);
  setDefaultDevice('cpu');
  random.seed(1);
  const model = new LeNet();
  model.eval();
  const infer = trace((x: Tensor) => model(x) as Tensor, { symbolic: true, captureAsConst: true, optimizeForInference: true });
  // one input tensor reused by every run, as onnxruntime's loop reuses its input
  const x = tensor(data, { shape: [1, 1, 32, 32] });
  for (let round = 0; round < 2; round++) {
    const ox = new ort.Tensor('float32', data, [1, 1, 32, 32]);
    const to = await measure(async () => {
      const r = await session.run({ x: ox });
      r.y.dispose?.();
    }, latency(quick));
    const tt = await measure(() => infer(x).data(), latency(quick));
    const te = await measure(() => noGrad(() => (model(x) as Tensor).data()), latency(quick));
    for (const [impl, t] of [
      ['onnxruntime-node', to],
      ['mge cpu traced', tt],
      ['mge cpu', te],
    ] as const) {
      const prev = report.rows.findIndex((r) => r.workload === 'lenet latency b1 (jit)' && r.impl === impl);
      if (prev >= 0 && report.rows[prev].timing.medianMs <= t.medianMs) continue;
      if (prev >= 0) report.rows.splice(prev, 1);
      report.add({ group: 'jit', workload: 'lenet latency b1 (jit)', impl, timing: t, value: 1000 / t.medianMs, unit: 'img/s' });
    }
  }
  await session.release();
}

export async function benchJit(report: Report, quick: boolean): Promise<void> {
  console.log('\njit.trace');
  await latencyRows(report, quick);
  await trainRows(report, 'cpu', 'lenet', () => new LeNet(), 64, 32, fast(quick));
  await trainRows(report, 'js', 'lenet', () => new LeNet(), 64, 32, slow(quick));
  await trainRows(report, 'cpu', 'resnet18 (cifar)', () => resnet18({ stem: 'cifar', numClasses: 10 }), 32, 32, slow(quick));
  for (const [ours, peer] of [
    ['mge cpu traced', 'onnxruntime-node'],
    ['mge cpu traced', 'mge cpu'],
    ['mge js traced', 'mge js'],
  ]) {
    for (const line of report.ratios(ours, peer)) report.note(line);
  }
}
