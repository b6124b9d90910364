// The zoo's character GPT training step (16 sequences of 64 tokens, dim 64, 4 heads, 2 layers,
// SGD with momentum) on cpu, eager and traced, against PyTorch's same network (bench/python's
// zoo_peer.py) in alternated rounds: seq/s of each, ratios, and our process CPU time per step
// (the steadier figure on a shared machine). The zoo bench's rows, without ResNet's minutes.
//   pnpm --filter @mge/bench exec tsx --expose-gc --conditions=source src/gpt-train.ts [rounds] [steps]
// MGE_NUM_THREADS sets both sides' threads; MGE_CPU_ISA=avx2 the GEMM's ISA path. AB=1 instead
// compares, in one process and alternated, the eager step with the transformer kernels
// (selfAttention, gelu, standardize, standardizeAffine, softmaxCrossEntropy; AB_OPS=a,b to pick)
// against the same step composed from the other operators.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GradManager, getBackend, ready, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { trace } from '@mge/jit';
import { cpuInfo } from '@mge/kernels-cpu';
import { CharGPT } from '@mge/models-zoo';
import { SGD } from '@mge/optimizer';
import { labels, yieldToEventLoop } from './lenet-trainer.js';

await ready();
setDefaultDevice('cpu');
const rounds = Number(process.argv[2] ?? 3);
const steps = Number(process.argv[3] ?? 20);
const info = cpuInfo();
const PEER = join(dirname(dirname(fileURLToPath(import.meta.url))), 'python', 'zoo_peer.py');
const b = 16;
const ids = tensor(
  Int32Array.from(labels(b * 64, 5), (v, i) => (v * 7 + i) % 96),
  { dtype: 'int32', shape: [b, 64] },
);
const next = tensor(
  Int32Array.from(labels(b * 64, 6), (v, i) => (v * 11 + i) % 96),
  { dtype: 'int32', shape: [b, 64] },
);

function stepOf(traced: boolean): (x: Tensor, y: Tensor) => Tensor {
  const model = new CharGPT({ vocabSize: 96, blockSize: 64 });
  model.train();
  const gm = new GradManager().attach(model.parameters());
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const step = (x: Tensor, y: Tensor): Tensor => {
    gm.record();
    const out = model(x) as Tensor;
    const loss = F.crossEntropy(out.reshape([-1, out.shape[out.ndim - 1]]), y.reshape([-1]));
    gm.backward(loss);
    opt.step().clearGrad();
    return loss;
  };
  return traced ? trace(step, { symbolic: true }) : step;
}

/** Median ms per step (wall) and process CPU ms per step. */
async function ours(traced: boolean): Promise<[number, number]> {
  const step = stepOf(traced);
  for (let i = 0; i < 3; i++) await step(ids, next).data();
  const times: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await step(ids, next).data();
    times.push(performance.now() - t0);
    await yieldToEventLoop();
  }
  const c = process.cpuUsage(c0);
  times.sort((p, q) => p - q);
  return [times[times.length >> 1], (c.user + c.system) / 1000 / steps];
}

function torch(): { medianMs: number; cpuMsPerStep: number } | null {
  const r = spawnSync('/usr/bin/python3', [PEER, 'train-gpt', String(info.threads), String(b), String(steps)], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`PyTorch peer skipped: ${r.stderr.trim().split('\n').at(-1) ?? 'no output'}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { medianMs: number; cpuMsPerStep: number };
}

if (process.env.AB) {
  const be = getBackend('cpu');
  const has = be.hasKernel!.bind(be);
  const FUSED = new Set((process.env.AB_OPS ?? 'selfAttention,gelu,standardize,standardizeAffine,softmaxCrossEntropy').split(','));
  for (let r = 0; r < rounds; r++) {
    be.hasKernel = has;
    const [fw, fc] = await ours(false);
    be.hasKernel = (op: string) => !FUSED.has(op) && has(op);
    const [cw, cc] = await ours(false);
    console.log(
      `round ${r}: fused ${fw.toFixed(1)} ms wall ${fc.toFixed(1)} ms cpu, composed ${cw.toFixed(1)} ms wall ${cc.toFixed(1)} ms cpu; ` +
        `speed-up wall ${(cw / fw).toFixed(2)}× cpu ${(cc / fc).toFixed(2)}×`,
    );
  }
  process.exit(0);
}

console.log(`cpu backend: ISA ${info.isa}, ${info.threads} thread(s); char-GPT b${b}×64, ${steps} steps a round`);
const seqs = (ms: number) => ((b * 1000) / ms).toFixed(0);
for (let r = 0; r < rounds; r++) {
  const [ew, ec] = await ours(false);
  const [tw, tc] = await ours(true);
  const pt = torch();
  const vs = (ms: number, cpu: number) =>
    pt ? ` = ${(pt.medianMs / ms).toFixed(2)}× PyTorch by wall, ${(pt.cpuMsPerStep / cpu).toFixed(2)}× by CPU` : '';
  console.log(
    `round ${r}: eager ${seqs(ew)} seq/s (${ew.toFixed(1)} ms wall, ${ec.toFixed(1)} ms cpu)${vs(ew, ec)}; ` +
      `traced ${seqs(tw)} seq/s (${tw.toFixed(1)} ms wall, ${tc.toFixed(1)} ms cpu)${vs(tw, tc)}` +
      (pt ? `; PyTorch ${seqs(pt.medianMs)} seq/s (${pt.medianMs.toFixed(1)} ms wall, ${pt.cpuMsPerStep.toFixed(1)} ms cpu)` : ''),
  );
}
process.exit(0);
