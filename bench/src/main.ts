// `pnpm bench`: every benchmark in one process, sequentially, on the same synthetic
// data; prints a table with medians, spread and our ratio to each peer, and writes
// bench/results.json. Flags: --quick (fewer runs), --only=sgemm,conv,lenet, --memory [--steps=N]
// (RSS over N LeNet training steps, default 10,000; only that mode unless --only is given too).
import { readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceInfo, ready } from '@mge/core';
import { cpuInfo } from '@mge/kernels-cpu';
import '@mge/kernels-wasm';
import { benchConv } from './conv.js';
import { benchLenet } from './lenet.js';
import { benchMemory } from './memory.js';
import { Report } from './report.js';
import { benchSgemm } from './sgemm.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : undefined;
const memory = args.includes('--memory');
const stepsArg = args.find((a) => a.startsWith('--steps='));
const memorySteps = stepsArg ? Number(stepsArg.slice('--steps='.length)) : 10_000;
const want = (name: string) => (only ? only.has(name) : !memory);

/** The CPU's SIMD extensions that matter to the kernels (from /proc/cpuinfo where there is one). */
function isaSummary(): string {
  try {
    const flags = new Set(/^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1].split(' ') ?? []);
    const found = ['avx512f', 'avx2', 'fma', 'avx', 'sse4_2', 'asimd'].filter((f) => flags.has(f));
    return `${arch()} ${found.join(' ') || 'baseline'}`;
  } catch {
    return arch();
  }
}

async function main(): Promise<void> {
  process.env.MGE_QUIET ??= '1';
  await ready();
  const cpuDev = deviceInfo().find((d) => d.name === 'cpu');
  if (cpuDev?.state !== 'ready') {
    console.error(`the cpu device is not available: ${cpuDev?.error ?? 'not registered'}`);
    process.exit(1);
  }
  const info = cpuInfo();
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, Node ${process.version}`;
  const wasmDev = deviceInfo().find((d) => d.name === 'wasm');
  const wasm = wasmDev?.state === 'ready' ? wasmDev.description : `unavailable (${wasmDev?.error})`;
  console.log(`MegEngine.ts benchmarks — ${machine}; ISA ${isaSummary()}`);
  console.log(`cpu backend: ${info.isa} GEMM, ${info.threads} threads; wasm backend: ${wasm}${quick ? ' (quick)' : ''}`);
  const report = new Report();
  if (want('sgemm')) await benchSgemm(report, 1024, quick);
  if (want('conv')) await benchConv(report, quick);
  if (want('lenet')) await benchLenet(report, quick);
  if (memory) await benchMemory(report, memorySteps);

  const table = report.table((impl) => impl.startsWith('mge cpu'));
  console.log(`\n${table}\n`);
  for (const line of report.ratios('mge wasm', 'tfjs-backend-wasm')) report.note(line);
  // The memory mode alone writes its own file, so it does not replace the throughput results.
  const out = join(dirname(dirname(fileURLToPath(import.meta.url))), memory && !only ? 'results-memory.json' : 'results.json');
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), machine, isa: isaSummary(), cpu: info, wasm, quick, rows: report.rows, notes: report.notes }, null, 2)}\n`,
  );
  console.log(`wrote ${out}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
