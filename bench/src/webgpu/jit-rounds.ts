// The rounds of the webgpu jit.trace benchmark (jit-step.ts in Node, jit-page.ts in Chromium):
// the LeNet training step (MegEngine's network-building guide examples), eager vs
// trace(step, { symbolic: true }). Two models of equal weights, one step of each in turn (which
// side goes first alternates), fresh models every round; every step reads its loss. Wall time,
// and in Node the process's CPU time too (Dawn's lavapipe runs the kernels on its threads).
import { GradManager, getBackend, random, ready, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { trace } from '@mge/jit';
import '@mge/kernels-webgpu';
import { LeNet } from '@mge/models-zoo';
import { SGD } from '@mge/optimizer';

function stepOf(): (x: Tensor, y: Tensor) => Tensor {
  random.seed(1);
  const model = new LeNet();
  const gm = new GradManager().attach(model.parameters());
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  model.train();
  return (x, y) => {
    gm.record();
    const loss = F.crossEntropy(model(x) as Tensor, y);
    gm.backward(loss);
    opt.step().clearGrad();
    return loss;
  };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((p, q) => p - q);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** CPU time of this process in ms (Node), or NaN (a page has no such clock). */
const cpuMs = () => {
  const u = typeof process !== 'undefined' ? process.cpuUsage?.() : undefined;
  return u ? (u.user + u.system) / 1000 : Number.NaN;
};

export interface RoundResult {
  eagerMs: number;
  tracedMs: number;
  eagerCpuMs: number;
  tracedCpuMs: number;
  speedup: number;
  cpuSpeedup: number;
}

export interface JitWebgpuResult {
  workload: string;
  rounds: RoundResult[];
  eager: number[];
  traced: number[];
  submits: number;
  dispatches: number;
  fusedLoops: number | undefined;
}

/** `rounds` rounds of `steps` alternated eager/traced steps, each round on fresh models. */
export async function runJitWebgpu(b: number, steps: number, rounds: number): Promise<JitWebgpuResult> {
  await ready();
  setDefaultDevice('webgpu');
  random.seed(3);
  const x = random.normal(0, 1, [b, 1, 32, 32]);
  const y = tensor(
    Array.from({ length: b }, (_, i) => (i * 7) % 10),
    { dtype: 'int32' },
  );
  const out: JitWebgpuResult = {
    workload: `lenet train step b${b} (webgpu)`,
    rounds: [],
    eager: [],
    traced: [],
    submits: 0,
    dispatches: 0,
    fusedLoops: 0,
  };
  const rt = (getBackend('webgpu') as unknown as { runtime: { stats: { submits: number; dispatches: number } } }).runtime;
  for (let r = 0; r < rounds; r++) {
    const eager = stepOf();
    const traced = trace(stepOf(), { symbolic: true });
    // warm-up: pipelines compiled; a trace records on its first call and checks on its second
    for (let i = 0; i < 3; i++) {
      await eager(x, y).data();
      await traced(x, y).data();
    }
    const wall = { eager: [] as number[], traced: [] as number[] };
    const cpu = { eager: [] as number[], traced: [] as number[] };
    for (let i = 0; i < steps; i++) {
      // which side goes first alternates too
      for (const side of i % 2 ? (['traced', 'eager'] as const) : (['eager', 'traced'] as const)) {
        const fn = side === 'eager' ? eager : traced;
        const before = { ...rt.stats };
        const c0 = cpuMs();
        const t0 = performance.now();
        await fn(x, y).data();
        wall[side].push(performance.now() - t0);
        cpu[side].push(cpuMs() - c0);
        if (side === 'traced') {
          out.submits = rt.stats.submits - before.submits;
          out.dispatches = rt.stats.dispatches - before.dispatches;
        }
      }
    }
    out.fusedLoops = traced.stats?.fusedLoops;
    out.eager.push(...wall.eager);
    out.traced.push(...wall.traced);
    const e = median(wall.eager);
    const t = median(wall.traced);
    const ec = median(cpu.eager);
    const tc = median(cpu.traced);
    out.rounds.push({ eagerMs: e, tracedMs: t, eagerCpuMs: ec, tracedCpuMs: tc, speedup: e / t, cpuSpeedup: ec / tc });
  }
  return out;
}
