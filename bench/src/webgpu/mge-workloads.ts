import { GradManager, noGrad, random, setDefaultDevice, type Tensor, tensor, tidy } from '@mge/core';
import * as F from '@mge/functional';
import { LeNet } from '@mge/models-zoo';
import { SGD } from '@mge/optimizer';
import { type BenchConfig, convFlops, LENET_FWD_FLOPS, labels, lcg, type Workload } from './workloads.js';

/** Reads a result back, then frees it at once. */
async function readOnce(t: Tensor): Promise<unknown> {
  const out = await t.data();
  t.dispose();
  return out;
}

/** Our side: the real framework (LeNet from the zoo, F.crossEntropy, GradManager, SGD) on `device`. */
export function mgeWorkloads(device: string, cfg: BenchConfig): Workload[] {
  setDefaultDevice(device);
  random.seed(1);
  const model = new LeNet();
  const gm = new GradManager().attach(model.parameters());
  const opt = new SGD(model.parameters(), { lr: 0.01 });
  const B = cfg.lenetBatch;
  const x = tensor(lcg(B * 1024, 3), { shape: [B, 1, 32, 32] });
  const y = tensor(labels(B, 4), { dtype: 'int32', shape: [B] });
  const xi = tensor(lcg(cfg.inferBatch * 1024, 5), { shape: [cfg.inferBatch, 1, 32, 32] });
  const n = cfg.matmulN;
  const a = tensor(lcg(n * n, 6), { shape: [n, n] });
  const b = tensor(lcg(n * n, 7), { shape: [n, n] });
  const c = cfg.conv;
  const cx = tensor(lcg(c.n * c.c * c.h * c.w, 8), { shape: [c.n, c.c, c.h, c.w] });
  const cw = tensor(lcg(c.o * c.c * c.k * c.k, 9), { shape: [c.o, c.c, c.k, c.k] });
  const cdy = tensor(lcg(c.n * c.o * c.h * c.w, 10), { shape: [c.n, c.o, c.h, c.w] });
  const pad = c.k >> 1;
  return [
    {
      name: `LeNet train step b${B}`,
      flops: 3 * B * LENET_FWD_FLOPS,
      // tidy frees the step's intermediates at once (as tfjs's variableGrads + dispose do on
      // the other side) instead of waiting for the garbage collector, so the pool reuses them.
      run: async () => {
        const loss = tidy(() => {
          gm.record();
          const l = F.crossEntropy(model(x) as Tensor, y);
          gm.backward(l);
          opt.step().clearGrad();
          return l;
        });
        const out = await loss.data();
        loss.dispose();
        return out;
      },
    },
    {
      name: `LeNet inference b${cfg.inferBatch}`,
      flops: cfg.inferBatch * LENET_FWD_FLOPS,
      run: () => readOnce(noGrad(() => tidy(() => model(xi) as Tensor))),
    },
    { name: `matmul ${n}³`, flops: 2 * n ** 3, run: () => readOnce(a.matmul(b)) },
    {
      name: `conv2d fwd ${c.n}×${c.c}×${c.h}×${c.w} k${c.k}→${c.o}`,
      flops: convFlops(c),
      run: () => readOnce(noGrad(() => F.conv2d(cx, cw, undefined, { padding: pad }))),
    },
    {
      // dx and dw of Σ conv(x, w)·dy: the forward plus both backward convolutions.
      name: `conv2d fwd+bwd (dx, dw)`,
      flops: 3 * convFlops(c),
      run: async () => {
        const xp = cx.detach();
        const wp = cw.detach();
        const [dx, dw] = tidy(() => {
          const g = new GradManager().attach([xp, wp]);
          g.record();
          g.backward(F.conv2d(xp, wp, undefined, { padding: pad }).mul(cdy).sum());
          return [xp.grad!, wp.grad!];
        });
        const out = await Promise.all([readOnce(dx), readOnce(dw)]);
        xp.dispose();
        wp.dispose();
        return out;
      },
    },
  ];
}
