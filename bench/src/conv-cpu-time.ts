// ResNet-18 (CIFAR stem, b32) convolution layers on `cpu`, each pass timed by process CPU time
// (not wall time: decisions on a shared machine), next to PyTorch timed the same way
// (bench/python/conv_cpu_time.py) at the same thread count. Prints ms per call (25th
// percentile) and ours÷PyTorch speed per pass.
//   MGE_NUM_THREADS=1 node --conditions=source --import tsx src/conv-cpu-time.ts [filter] [--no-peer]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend } from '@mge/core';
import { cpuInfo } from '@mge/kernels-cpu';
import { squareConv } from './conv.js';

// name, batch, in channels, side, out channels, kernel, stride, padding, uses per step.
type Row = [string, number, number, number, number, number, number, number, number];
const ROWS: Row[] = [
  ['stem 3x3 3>64 @32', 32, 3, 32, 64, 3, 1, 1, 1],
  ['l1 3x3 64 @32', 32, 64, 32, 64, 3, 1, 1, 4],
  ['l2 3x3 s2 64>128 @32', 32, 64, 32, 128, 3, 2, 1, 1],
  ['l2 1x1 s2 64>128 @32', 32, 64, 32, 128, 1, 2, 0, 1],
  ['l2 3x3 128 @16', 32, 128, 16, 128, 3, 1, 1, 3],
  ['l3 3x3 s2 128>256 @16', 32, 128, 16, 256, 3, 2, 1, 1],
  ['l3 1x1 s2 128>256 @16', 32, 128, 16, 256, 1, 2, 0, 1],
  ['l3 3x3 256 @8', 32, 256, 8, 256, 3, 1, 1, 3],
  ['l4 3x3 s2 256>512 @8', 32, 256, 8, 512, 3, 2, 1, 1],
  ['l4 1x1 s2 256>512 @8', 32, 256, 8, 512, 1, 2, 0, 1],
  ['l4 3x3 512 @4', 32, 512, 4, 512, 3, 1, 1, 3],
];
const filter = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : '';
const rows = ROWS.filter((r) => r[0].includes(filter));
const be = getBackend('cpu');
const { threads, isa } = cpuInfo();

function cpuMs(fn: () => void): number {
  fn();
  const ts: number[] = [];
  const wall0 = performance.now();
  while (ts.length < 5 || (performance.now() - wall0 < 1500 && ts.length < 40)) {
    const a = process.cpuUsage();
    fn();
    const d = process.cpuUsage(a);
    ts.push((d.user + d.system) / 1000);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 4)];
}

const ours: Record<string, number[]> = {};
for (const [name, n, c, side, o, k, s, pad] of rows) {
  const { p, xr, wr, dyr } = squareConv(be, n, c, side, o, k, s, pad);
  ours[name] = [
    cpuMs(() => be.release(be.conv2d(xr, wr, p))),
    cpuMs(() => be.release(be.conv2dBackwardInput(dyr, wr, p))),
    cpuMs(() => be.release(be.conv2dBackwardFilter(xr, dyr, p))),
  ];
  for (const r of [xr, wr, dyr]) be.release(r.buf);
}
let torch: Record<string, number[]> = {};
if (!process.argv.includes('--no-peer')) {
  const script = join(dirname(dirname(fileURLToPath(import.meta.url))), 'python', 'conv_cpu_time.py');
  const r = spawnSync('/usr/bin/python3', [script, String(threads), JSON.stringify(rows)], { encoding: 'utf8' });
  if (r.status === 0) torch = JSON.parse(r.stdout.trim().split('\n').at(-1)!).rows;
  else console.log(`PyTorch peer failed: ${r.stderr.trim().split('\n').at(-1)}`);
}
console.log(`cpu ${isa}, ${threads} thread(s); CPU ms per call, ours / PyTorch (speed ratio)`);
const tot = [0, 0];
for (const [name, , , , , , , , uses] of rows) {
  const m = ours[name];
  const t = torch[name];
  const cell = (i: number) => (t ? `${m[i].toFixed(1)}/${t[i].toFixed(1)} ${(t[i] / m[i]).toFixed(2)}` : m[i].toFixed(1));
  tot[0] += uses * (m[0] + m[1] + m[2]);
  if (t) tot[1] += uses * (t[0] + t[1] + t[2]);
  console.log(`${name.padEnd(24)} x${uses}  fwd ${cell(0).padEnd(18)} bwd-in ${cell(1).padEnd(18)} bwd-w ${cell(2)}`);
}
console.log(`all convs of a step (x uses): ours ${tot[0].toFixed(0)} ms${tot[1] ? `, PyTorch ${tot[1].toFixed(0)} ms` : ''}`);
process.exit(0);
