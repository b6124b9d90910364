// Peak RSS of a zoo training loop on cpu, in a process of its own (so the figure is this loop's
// alone): ResNet-18 (CIFAR stem, 32², b32) or ResNet-50 (224², b16), SGD with momentum, eager or
// traced. Prints one JSON line: RSS after loading (before the first step), RSS sampled through the
// run, the peak, and the cpu backend's live and pooled bytes at the end.
//   tsx --conditions=source src/rss-train.ts <resnet18|resnet50> <steps> [eager|traced] [every]
import { GradManager, getBackend, random, ready, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { trace } from '@mge/jit';
import '@mge/kernels-cpu';
import { resnet18, resnet50 } from '@mge/models-zoo';
import type { Module } from '@mge/module';
import { SGD } from '@mge/optimizer';
import { labels, yieldToEventLoop } from './lenet-trainer.js';
import { randomFloats } from './stats.js';

const [name = 'resnet18', stepsArg = '20', mode = 'eager', everyArg] = process.argv.slice(2);
if (name !== 'resnet18' && name !== 'resnet50') throw new Error(`rss-train: model must be resnet18 or resnet50, got ${name}`);
if (mode !== 'eager' && mode !== 'traced') throw new Error(`rss-train: mode must be eager or traced, got ${mode}`);
const steps = Number(stepsArg);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`rss-train: steps must be a positive integer, got ${stepsArg}`);
const every = Number(everyArg ?? Math.max(1, Math.floor(steps / 20)));

await ready();
setDefaultDevice('cpu');
random.seed(1);
const [b, side] = name === 'resnet18' ? [32, 32] : [16, 224];
const model: Module = name === 'resnet18' ? resnet18({ stem: 'cifar', numClasses: 10 }) : resnet50();
model.train();
const gm = new GradManager().attach(model.parameters());
const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
const x = tensor(randomFloats(b * 3 * side * side, 3), { shape: [b, 3, side, side] });
const y = tensor(labels(b, 4), { dtype: 'int32', shape: [b] });
const plain = (x: Tensor, y: Tensor): Tensor => {
  gm.record();
  const loss = F.crossEntropy(model(x) as Tensor, y);
  gm.backward(loss);
  opt.step().clearGrad();
  return loss;
};
const step = mode === 'traced' ? trace(plain) : plain;
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const loadedRss = mib(process.memoryUsage().rss);
const rss: number[] = [];
const t0 = performance.now();
let loss = 0;
for (let s = 1; s <= steps; s++) {
  loss = (await step(x, y).data())[0] as number;
  if (s % every === 0 || s === steps) {
    rss.push(mib(process.memoryUsage().rss));
    process.stderr.write(`${name} ${mode} step ${s}: RSS ${rss.at(-1)} MiB, peak ${mib(process.resourceUsage().maxRSS * 1024)} MiB\n`);
  }
  await yieldToEventLoop();
}
const m = getBackend('cpu').memory();
console.log(
  JSON.stringify({
    model: name,
    mode,
    batch: b,
    steps,
    every,
    loadedRss,
    rss,
    peakRss: mib(process.resourceUsage().maxRSS * 1024),
    liveMiB: mib(m.liveBytes),
    pooledMiB: mib(m.pooledBytes),
    loss,
    ...(mode === 'traced' && { planMiB: mib((step as ReturnType<typeof trace>).stats?.plannedBytes ?? 0) }),
    seconds: (performance.now() - t0) / 1000,
  }),
);
process.exit(0);
