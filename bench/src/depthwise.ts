// Depthwise and grouped convolutions (MobileNetV2, ShuffleNet and ResNeXt layers) and ShuffleNet's
// channel shuffle: our cpu backend's conv2d, backward-input and backward-filter against PyTorch 1.13
// on the same shapes, in the same run, with the same thread count (MGE_NUM_THREADS; PyTorch gets the
// same). Layers alternate — PyTorch, then ours — for --rounds rounds, so both see the same load.
// Each cell is a median wall time; the CPU-time column (process CPU time per call, which a loaded
// machine's preemptions do not inflate) is the figure to compare at 1 thread on a shared machine.
// Run: pnpm --filter @mge/bench bench:depthwise [--quick] [--rounds=3] [--only=dw|grouped|shuffle]
// (MGE_CPU_ISA=avx2 for the AVX2 path). PyTorch is /usr/bin/python3 with python3-torch from apt.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { type Conv2dParams, getBackend, ready } from '@mge/core';
import { cpuInfo } from '@mge/kernels-cpu';
import { randomFloats } from './stats.js';

const quick = process.argv.includes('--quick');
const rounds = Number(/--rounds=(\d+)/.exec(process.argv.join(' '))?.[1] ?? (quick ? 2 : 3));
const only = /--only=(\S+)/.exec(process.argv.join(' '))?.[1];

function conv(n: number, c: number, hw: number, o: number, k: number, groups: number, stride: number): Conv2dParams {
  const p = (k - 1) / 2;
  const out = Math.floor((hw + 2 * p - k) / stride) + 1;
  return { n, c, h: hw, w: hw, o, kh: k, kw: k, oh: out, ow: out, sh: stride, sw: stride, ph: p, pw: p, dh: 1, dw: 1, groups };
}

export const DEPTHWISE_LAYERS: [string, Conv2dParams][] = [
  // the zoo bench's rows
  ['dw 3×3 144 @56² b8', conv(8, 144, 56, 144, 3, 144, 1)],
  ['dw 3×3 s2 96 @112² b1', conv(1, 96, 112, 96, 3, 96, 2)],
  ['dw 3×3 576 @14² b1', conv(1, 576, 14, 576, 3, 576, 1)],
  // more of MobileNetV2's and ShuffleNetV2's depthwise layers
  ['dw 3×3 32 @112² b1', conv(1, 32, 112, 32, 3, 32, 1)],
  ['dw 3×3 s2 144 @56² b1', conv(1, 144, 56, 144, 3, 144, 2)],
  ['dw 3×3 960 @7² b1', conv(1, 960, 7, 960, 3, 960, 1)],
  ['dw 5×5 240 @14² b1', conv(1, 240, 14, 240, 5, 240, 1)],
  ['dw 3×3 116 @28² b8', conv(8, 116, 28, 116, 3, 116, 1)],
  // grouped: ResNeXt-like 3×3 (4 channels per group), ShuffleNet v1-like 1×1 (3 groups)
  ['grouped 3×3 128 g32 @28² b8', conv(8, 128, 28, 128, 3, 32, 1)],
  ['grouped 1×1 240 g3 @28² b8', conv(8, 240, 28, 240, 1, 3, 1)],
  ['grouped 3×3 256 g32 @14² b1', conv(1, 256, 14, 256, 3, 32, 1)],
];

// ShuffleNetV2's channel shuffle: [n, 2, c/2, h, w] → transpose(1, 2) → contiguous
export const SHUFFLE_LAYERS: [string, number[]][] = [
  ['shuffle 2×58 @28² b1', [1, 2, 58, 28, 28]],
  ['shuffle 2×116 @28² b8', [8, 2, 116, 28, 28]],
];

const TORCH = `
import json, sys, time, torch
import torch.nn.functional as F
torch.set_num_threads(int(sys.argv[1])); quick = sys.argv[2] == '1'
def med(fn):
    for _ in range(2): fn()
    ws, cs = [], []; t0 = time.perf_counter()
    while len(ws) < (5 if quick else 10) or (time.perf_counter() - t0 < (0.2 if quick else 0.5) and len(ws) < 200):
        a, b = time.perf_counter(), time.process_time(); fn()
        ws.append((time.perf_counter() - a) * 1e3); cs.append((time.process_time() - b) * 1e3)
    ws.sort(); cs.sort(); return [ws[len(ws) // 2], cs[len(cs) // 2]]
out = []
for item in json.loads(sys.argv[3]):
    if item[0] == 'shuffle':
        n, g, cg, h, w = item[1]
        x = torch.randn(n, g * cg, h, w)
        out.append([med(lambda: x.view(n, g, cg, h, w).transpose(1, 2).contiguous())])
        continue
    n, c, hw, o, k, g, s = item[1]
    x = torch.randn(n, c, hw, hw); w = torch.randn(o, c // g, k, k)
    y = F.conv2d(x, w, stride=s, padding=k // 2, groups=g); dy = torch.randn_like(y)
    with torch.no_grad():
        fwd = med(lambda: F.conv2d(x, w, stride=s, padding=k // 2, groups=g))
    bi = med(lambda: torch.nn.grad.conv2d_input(x.shape, w, dy, stride=s, padding=k // 2, groups=g))
    bf = med(lambda: torch.nn.grad.conv2d_weight(x, w.shape, dy, stride=s, padding=k // 2, groups=g))
    out.append([fwd, bi, bf])
print(json.dumps(out))
`;

/** Median wall time and median process CPU time per call, in ms. */
function time(fn: () => void): [number, number] {
  for (let i = 0; i < 2; i++) fn();
  const ws: number[] = [];
  const cs: number[] = [];
  const t0 = performance.now();
  while (ws.length < (quick ? 5 : 10) || (performance.now() - t0 < (quick ? 200 : 500) && ws.length < 200)) {
    const a = performance.now();
    const b = process.cpuUsage();
    fn();
    const d = process.cpuUsage(b);
    ws.push(performance.now() - a);
    cs.push((d.user + d.system) / 1e3);
  }
  const med = (v: number[]) => v.sort((x, y) => x - y)[v.length >> 1];
  return [med(ws), med(cs)];
}

async function main(): Promise<void> {
  process.env.MGE_QUIET ??= '1';
  await ready();
  const info = cpuInfo();
  console.log(
    `depthwise/grouped conv and channel shuffle — ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}; cpu backend: ${info.isa}, ${info.threads} thread(s); PyTorch with the same thread count; ${new Date().toISOString()}`,
  );
  const torch = (item: unknown): number[][] => {
    const py = spawnSync('/usr/bin/python3', ['-c', TORCH, String(info.threads), quick ? '1' : '0', JSON.stringify([item])], {
      encoding: 'utf8',
      // OpenMP's spinning waits make a 2-thread PyTorch ~8× slower on a loaded machine; ours sleep too.
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
    });
    if (py.status !== 0) throw new Error(`PyTorch run failed: ${py.stderr}`);
    return (JSON.parse(py.stdout) as number[][][])[0];
  };
  const be = getBackend('cpu');
  // ratio = PyTorch time / our time (> 1: we are faster), per round; the summary is their median
  const ratios = new Map<string, { wall: number[]; cpu: number[]; ms: number[]; torchMs: number[] }>();
  const record = (key: string, ours: [number, number], theirs: number[]) => {
    const r = ratios.get(key) ?? { wall: [], cpu: [], ms: [], torchMs: [] };
    r.wall.push(theirs[0] / ours[0]);
    r.cpu.push(theirs[1] / ours[1]);
    r.ms.push(ours[0]);
    r.torchMs.push(theirs[0]);
    ratios.set(key, r);
  };
  for (let round = 0; round < rounds; round++) {
    for (const [name, p] of DEPTHWISE_LAYERS) {
      if (only && !name.startsWith(only)) continue;
      const theirs = torch(['conv', [p.n, p.c, p.h, p.o, p.kh, p.groups, p.sh]]);
      const wsize = (p.o * p.c * p.kh * p.kw) / p.groups;
      const xr = { buf: be.upload(randomFloats(p.n * p.c * p.h * p.w, 1)), shape: [p.n, p.c, p.h, p.w], dtype: 'float32' as const };
      const wr = { buf: be.upload(randomFloats(wsize, 2)), shape: [p.o, p.c / p.groups, p.kh, p.kw], dtype: 'float32' as const };
      const dyr = { buf: be.upload(randomFloats(p.n * p.o * p.oh * p.ow, 3)), shape: [p.n, p.o, p.oh, p.ow], dtype: 'float32' as const };
      record(
        `${name}|fwd`,
        time(() => be.release(be.conv2d(xr, wr, p))),
        theirs[0],
      );
      record(
        `${name}|bwd-input`,
        time(() => be.release(be.conv2dBackwardInput(dyr, wr, p))),
        theirs[1],
      );
      record(
        `${name}|bwd-filter`,
        time(() => be.release(be.conv2dBackwardFilter(xr, dyr, p))),
        theirs[2],
      );
      for (const r of [xr, wr, dyr]) be.release(r.buf);
    }
    for (const [name, [n, g, cg, h, w]] of SHUFFLE_LAYERS) {
      if (only && !name.startsWith(only)) continue;
      const theirs = torch(['shuffle', [n, g, cg, h, w]]);
      const xr = { buf: be.upload(randomFloats(n * g * cg * h * w, 4)), shape: [n, g * cg, h, w], dtype: 'float32' as const };
      // [n, g, cg, h, w] read as [n, cg, g, h, w]
      const strides = [g * cg * h * w, h * w, cg * h * w, w, 1];
      record(
        `${name}|copy`,
        time(() => be.release(be.strided(xr, [n, cg, g, h, w], strides, 0))),
        theirs[0],
      );
      be.release(xr.buf);
    }
  }
  const med = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1];
  console.log(`\n${rounds} alternated round(s); each ratio is PyTorch time / ours (> 1: we are faster), median over rounds`);
  console.log('layer                          pass         mge ms   torch ms   wall ratio   cpu-time ratio   (per round, wall)');
  for (const [key, r] of ratios) {
    const [name, pass] = key.split('|');
    console.log(
      `${name.padEnd(30)} ${pass.padEnd(10)} ${med(r.ms).toFixed(3).padStart(8)} ${med(r.torchMs).toFixed(3).padStart(10)} ${med(r.wall).toFixed(2).padStart(12)} ${med(r.cpu).toFixed(2).padStart(16)}   ${r.wall.map((x) => x.toFixed(2)).join(' ')}`,
    );
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
