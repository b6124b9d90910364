// ResNet-18 (CIFAR stem) b32 training on cpu: forward, backward and optimizer time per step, the
// process's CPU time per step (what to compare on a shared machine: PyTorch's twin is
// `bench/python/zoo_peer.py train-resnet18 <threads> 32 <steps>`, cpuMs) and peak RSS.
//   pnpm --filter @mge/bench exec tsx --expose-gc --conditions=source src/zoo-step-profile.ts [steps]
import { GradManager, getBackend, random, ready, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import '@mge/kernels-cpu';
import { resnet18 } from '@mge/models-zoo';
import { SGD } from '@mge/optimizer';
import { labels, yieldToEventLoop } from './lenet-trainer.js';
import { randomFloats } from './stats.js';

await ready();
setDefaultDevice('cpu');
random.seed(1);
const steps = Number(process.argv[2] ?? 4);
const model = resnet18({ stem: 'cifar', numClasses: 10 });
const gm = new GradManager().attach(model.parameters());
const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
const x = tensor(randomFloats(32 * 3 * 32 * 32, 3), { shape: [32, 3, 32, 32] });
const y = tensor(labels(32, 4), { dtype: 'int32', shape: [32] });
for (let s = 0; s < steps; s++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  gm.record();
  const loss = F.crossEntropy(model(x) as Tensor, y);
  await loss.data();
  const t1 = performance.now();
  const mf = getBackend('cpu').memory();
  gm.backward(loss);
  await [...model.parameters()][0].grad!.data();
  const t2 = performance.now();
  opt.step().clearGrad();
  await [...model.parameters()][0].data();
  const t3 = performance.now();
  const cpu = process.cpuUsage(c0);
  await yieldToEventLoop();
  const rss = process.memoryUsage().rss / 2 ** 20;
  const m = getBackend('cpu').memory();
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  console.log(
    `  cpu memory after forward: ${mib(mf.liveBytes)} MiB live, ${mib(mf.pooledBytes)} MiB pooled; after the step: ${mib(m.liveBytes)} MiB live, ${mib(m.pooledBytes)} MiB pooled`,
  );
  console.log(
    `step ${s}: forward ${(t1 - t0).toFixed(0)} ms, backward ${(t2 - t1).toFixed(0)} ms, sgd ${(t3 - t2).toFixed(0)} ms; cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms; rss ${rss.toFixed(0)} MiB, peak ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  );
}
process.exit(0);
