// LeNet (MegEngine's network-building guide examples) b64 training step on cpu, eager and traced,
// alternated in one process: median ms per step of each, for before/after comparisons of core,
// optimizer and jit changes (run under node --cpu-prof to see where a step goes).
//   pnpm --filter @mge/bench exec tsx --expose-gc --conditions=source src/lenet-step-profile.ts [steps] [rounds] [eager|traced|both]
import { GradManager, getBackend, keep, type Parameter, random, ready, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { trace } from '@mge/jit';
import '@mge/kernels-cpu';
import { CharGPT, LeNet, resnet18 } from '@mge/models-zoo';
import type { Module } from '@mge/module';
import { type ParamGroup, type ParamState, SGD, type SGDOptions } from '@mge/optimizer';
import { labels, yieldToEventLoop } from './lenet-trainer.js';
import { randomFloats } from './stats.js';

await ready();
setDefaultDevice('cpu');
const steps = Number(process.argv[2] ?? 300);
const rounds = Number(process.argv[3] ?? 3);
const which = process.argv[4] ?? 'both';
// MODEL=resnet18: the zoo's ResNet-18 (CIFAR stem) at batch 32 instead; MODEL=gpt: the zoo's
// character GPT at 16 sequences of 64 tokens (the bench's zoo rows)
const resnet = process.env.MODEL === 'resnet18';
const gpt = process.env.MODEL === 'gpt';
const b = Number(process.env.BATCH ?? (resnet || gpt ? (gpt ? 16 : 32) : 64));
const ch = resnet ? 3 : 1;
const x = gpt
  ? tensor(
      Int32Array.from(labels(b * 64, 5), (v, i) => (v * 7 + i) % 96),
      { dtype: 'int32', shape: [b, 64] },
    )
  : tensor(randomFloats(b * ch * 32 * 32, b), { shape: [b, ch, 32, 32] });
const y = gpt
  ? tensor(
      Int32Array.from(labels(b * 64, 6), (v, i) => (v * 11 + i) % 96),
      { dtype: 'int32', shape: [b * 64] },
    )
  : tensor(labels(b, b + 1), { dtype: 'int32', shape: [b] });

/** SGD's update as four separate kernels (before scaledAdd), for `ab` runs against the fused one. */
class SGDSeparate extends SGD {
  protected override update(p: Parameter, grad: Tensor, state: ParamState, group: ParamGroup<SGDOptions>): Tensor {
    const buf = state.momentumBuffer as Tensor;
    const v = buf.mul(group.momentum).add(grad);
    buf._reset(v);
    keep(buf);
    return p.sub(v.mul(group.lr));
  }
}

function stepOf(separate = false): (x: Tensor, y: Tensor) => Tensor {
  random.seed(1);
  const model: Module = resnet
    ? resnet18({ stem: 'cifar', numClasses: 10 })
    : gpt
      ? new CharGPT({ vocabSize: 96, blockSize: 64 })
      : new LeNet();
  model.train();
  const gm = new GradManager().attach(model.parameters());
  const opt = new (separate ? SGDSeparate : SGD)(model.parameters(), { lr: 0.01, momentum: 0.9 });
  return (x, y) => {
    gm.record();
    const out = model(x) as Tensor;
    const loss = F.crossEntropy(gpt ? out.reshape([-1, out.shape[out.ndim - 1]]) : out, y);
    gm.backward(loss);
    opt.step().clearGrad();
    return loss;
  };
}

// Median wall time per step, and the process's CPU time per step (user + system, all threads):
// on a shared machine the CPU time is the steadier of the two.
async function run(traced: boolean, separate = false): Promise<[number, number]> {
  const plain = stepOf(separate);
  const step = traced ? trace(plain, { symbolic: process.env.SYMBOLIC === '1' }) : plain;
  for (let i = 0; i < (resnet || gpt ? 3 : 20); i++) await step(x, y).data();
  const times: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await step(x, y).data();
    times.push(performance.now() - t0);
    await yieldToEventLoop();
  }
  const c = process.cpuUsage(c0);
  times.sort((a, b) => a - b);
  return [times[times.length >> 1], (c.user + c.system) / 1000 / steps];
}

// OPS=1: time every backend call of the eager step, by method, operator and output size; OPS=cpu:
// by process CPU time instead of wall time (the steadier figure on a loaded machine, at 1 thread).
const cpuClock = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const clock = process.env.OPS === 'cpu' ? cpuClock : () => performance.now();
if (process.env.OPS) {
  const be = getBackend('cpu') as unknown as Record<string, (...a: unknown[]) => unknown>;
  const stats = new Map<string, [number, number]>();
  for (const m of [
    'unary',
    'binary',
    'where',
    'cast',
    'reduce',
    'argReduce',
    'strided',
    'concat',
    'pad',
    'matmul',
    'conv2d',
    'conv2dBackwardInput',
    'conv2dBackwardFilter',
    'pool2d',
    'pool2dBackward',
    'gather',
    'scatterAdd',
    'allocate',
    'upload',
    'scaledAdd',
    'mulSign',
    'maxPool2dSignBackward',
    'selfAttention',
    'selfAttentionBackward',
    'gelu',
    'geluBackward',
    'standardize',
    'standardizeBackward',
    'standardizeAffine',
    'standardizeAffineBackward',
    'standardizeWeightGrad',
    'softmaxCrossEntropy',
    'softmaxCrossEntropyBackward',
  ]) {
    if (!be[m]) continue;
    const f = be[m].bind(be);
    be[m] = (...a: unknown[]) => {
      const t0 = clock();
      const r = f(...a) as { length: number };
      const k = `${m}${typeof a[0] === 'string' ? ` ${a[0]}` : ''} ${r.length}`;
      const e = stats.get(k) ?? [0, 0];
      e[0]++;
      e[1] += clock() - t0;
      stats.set(k, e);
      return r;
    };
  }
  const plain = stepOf();
  for (let i = 0; i < (resnet || gpt ? 2 : 50); i++) await plain(x, y).data();
  stats.clear();
  const n = resnet ? 3 : gpt ? 10 : 200;
  const t0 = clock();
  for (let i = 0; i < n; i++) await plain(x, y).data();
  const total = (clock() - t0) / n;
  let sum = 0;
  let calls = 0;
  for (const [k, [c, t]] of [...stats].sort((a, b) => b[1][1] - a[1][1])) {
    sum += t / n;
    calls += c / n;
    console.log(`${(t / n).toFixed(3).padStart(7)} ms ${(c / n).toFixed(1).padStart(5)}x ${k}`);
  }
  console.log(`step ${total.toFixed(3)} ms, backend calls ${sum.toFixed(3)} ms in ${calls} calls`);
  process.exit(0);
}

// opt: the optimizer step alone (LeNet's parameters, gradients kept), fused against separate kernels
if (which === 'opt') {
  const time = (separate: boolean): number => {
    random.seed(1);
    const model = new LeNet();
    const gm = new GradManager().attach(model.parameters());
    gm.record();
    gm.backward(F.crossEntropy(model(x) as Tensor, y));
    const opt = new (separate ? SGDSeparate : SGD)(model.parameters(), { lr: 0.01, momentum: 0.9 });
    for (let i = 0; i < 200; i++) opt.step();
    const c0 = process.cpuUsage();
    for (let i = 0; i < steps; i++) opt.step();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000 / steps;
  };
  for (let r = 0; r < rounds; r++) {
    const f = time(false);
    const s = time(true);
    console.log(
      `round ${r}: optimizer step fused ${f.toFixed(3)} ms cpu, separate ${s.toFixed(3)} ms cpu, speed-up ${(s / f).toFixed(2)}x`,
    );
  }
  process.exit(0);
}

// ab: eager with the fused optimizer update against eager with the separate kernels
if (which === 'ab') {
  for (let r = 0; r < rounds; r++) {
    const [fw, fc] = await run(false);
    const [sw, sc] = await run(false, true);
    console.log(
      `round ${r}: fused ${fw.toFixed(3)} ms wall ${fc.toFixed(3)} ms cpu, separate ${sw.toFixed(3)} ms wall ${sc.toFixed(3)} ms cpu; speed-up wall ${(sw / fw).toFixed(3)}x cpu ${(sc / fc).toFixed(3)}x`,
    );
  }
  process.exit(0);
}

const kinds = which === 'both' ? [false, true] : [which === 'traced'];
for (let r = 0; r < rounds; r++) {
  const line: string[] = [];
  const res: number[] = [];
  for (const t of kinds) {
    const [ms, cpu] = await run(t);
    res.push(ms, cpu);
    line.push(`${t ? 'traced' : 'eager'} ${ms.toFixed(3)} ms wall, ${cpu.toFixed(3)} ms cpu`);
  }
  if (res.length === 4) line.push(`traced/eager speed wall ${(res[0] / res[2]).toFixed(2)}x cpu ${(res[1] / res[3]).toFixed(2)}x`);
  console.log(`round ${r}: ${line.join(', ')}`);
}
process.exit(0);
