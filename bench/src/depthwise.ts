// Depthwise 3×3 convolution (groups = channels) on MobileNetV2-like layers: our cpu
// backend's conv2d, backward-input and backward-filter against PyTorch 1.13 on the same
// shapes in the same run, with the same thread count. Run: pnpm --filter @mge/bench bench:depthwise
// (--quick for fewer runs). PyTorch is /usr/bin/python3 with python3-torch from apt.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { type Conv2dParams, getBackend, ready } from '@mge/core';
import { cpuInfo } from '@mge/kernels-cpu';
import { measure, randomFloats } from './stats.js';

const quick = process.argv.includes('--quick');

function dw(n: number, c: number, hw: number, stride: number): Conv2dParams {
  const out = Math.floor((hw + 2 - 3) / stride) + 1;
  return { n, c, h: hw, w: hw, o: c, kh: 3, kw: 3, oh: out, ow: out, sh: stride, sw: stride, ph: 1, pw: 1, dh: 1, dw: 1, groups: c };
}

export const DEPTHWISE_LAYERS: [string, Conv2dParams][] = [
  ['b4 32ch 112² s1', dw(4, 32, 112, 1)],
  ['b4 96ch 112² s2', dw(4, 96, 112, 2)],
  ['b4 144ch 56² s1', dw(4, 144, 56, 1)],
  ['b4 192ch 28² s1', dw(4, 192, 28, 1)],
  ['b4 576ch 14² s1', dw(4, 576, 14, 1)],
  ['b4 960ch 7² s1', dw(4, 960, 7, 1)],
];

const TORCH = `
import json, sys, time, torch
import torch.nn.functional as F
torch.set_num_threads(int(sys.argv[1])); quick = sys.argv[2] == '1'
out = []
for n, c, hw, s in json.loads(sys.argv[3]):
    x = torch.randn(n, c, hw, hw); w = torch.randn(c, 1, 3, 3)
    y = F.conv2d(x, w, stride=s, padding=1, groups=c); dy = torch.randn_like(y)
    def med(fn):
        for _ in range(2): fn()
        ts = []; t0 = time.perf_counter()
        while len(ts) < (3 if quick else 10) or (time.perf_counter() - t0 < (0.2 if quick else 1.0) and len(ts) < 200):
            a = time.perf_counter(); fn(); ts.append((time.perf_counter() - a) * 1e3)
        ts.sort(); return ts[len(ts) // 2]
    with torch.no_grad():
        fwd = med(lambda: F.conv2d(x, w, stride=s, padding=1, groups=c))
    bi = med(lambda: torch.nn.grad.conv2d_input(x.shape, w, dy, stride=s, padding=1, groups=c))
    bf = med(lambda: torch.nn.grad.conv2d_weight(x, w.shape, dy, stride=s, padding=1, groups=c))
    out.append([fwd, bi, bf])
print(json.dumps(out))
`;

async function main(): Promise<void> {
  process.env.MGE_QUIET ??= '1';
  await ready();
  const info = cpuInfo();
  console.log(
    `depthwise 3×3 conv — ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}; cpu backend: ${info.isa} GEMM, ${info.threads} threads; PyTorch with the same thread count`,
  );
  // PyTorch runs layer by layer, right before ours, so both see the same machine load.
  const torchLayer = (p: Conv2dParams): number[] => {
    const py = spawnSync(
      '/usr/bin/python3',
      ['-c', TORCH, String(info.threads), quick ? '1' : '0', JSON.stringify([[p.n, p.c, p.h, p.sh]])],
      {
        encoding: 'utf8',
        // OpenMP's spinning waits make a 2-thread PyTorch ~8× slower on a loaded machine; ours sleep too.
        env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
      },
    );
    if (py.status !== 0) throw new Error(`PyTorch run failed: ${py.stderr}`);
    return (JSON.parse(py.stdout) as number[][])[0];
  };
  const be = getBackend('cpu');
  const opts = { minRuns: quick ? 3 : 10, minTimeMs: quick ? 200 : 1000 };
  console.log('layer                     pass        mge cpu ms   torch ms   torch/mge (>1: we are faster)');
  for (const [name, p] of DEPTHWISE_LAYERS) {
    const torchMs = torchLayer(p);
    const xr = { buf: be.upload(randomFloats(p.n * p.c * p.h * p.w, 1)), shape: [p.n, p.c, p.h, p.w], dtype: 'float32' as const };
    const wr = { buf: be.upload(randomFloats(p.o * 9, 2)), shape: [p.o, 1, 3, 3], dtype: 'float32' as const };
    const dyr = { buf: be.upload(randomFloats(p.n * p.o * p.oh * p.ow, 3)), shape: [p.n, p.o, p.oh, p.ow], dtype: 'float32' as const };
    const ours = [
      await measure(() => be.release(be.conv2d(xr, wr, p)), opts),
      await measure(() => be.release(be.conv2dBackwardInput(dyr, wr, p)), opts),
      await measure(() => be.release(be.conv2dBackwardFilter(xr, dyr, p)), opts),
    ];
    for (const [j, pass] of ['fwd', 'bwd-input', 'bwd-filter'].entries()) {
      const m = ours[j].medianMs;
      const t = torchMs[j];
      console.log(
        `${name.padEnd(25)} ${pass.padEnd(11)} ${m.toFixed(3).padStart(10)} ${t.toFixed(3).padStart(10)}   ${(t / m).toFixed(2)}`,
      );
    }
    for (const r of [xr, wr, dyr]) be.release(r.buf);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
