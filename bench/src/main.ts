// `pnpm bench`: every benchmark in one process, sequentially, on the same synthetic
// data; prints a table with medians, spread and our ratio to each peer, and writes
// bench/results.json. Flags: --quick (fewer runs), --only=sgemm,conv,lenet,zoo,zoo-infer,indexing,jit,jit-webgpu, --memory [--steps=N]
// [--devices=js,cpu,webgpu] (RSS over N steps of the README's synchronous training loop on each
// device, default 20,000; only that mode unless --only is given too).
import { readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceInfo, ready } from '@mge/core';
import { cpuInfo, measureFmaPeak } from '@mge/kernels-cpu';
import '@mge/kernels-wasm';
import { benchConv } from './conv.js';
import { benchIndexing } from './indexing.js';
import { benchJit } from './jit.js';
import { benchLenet } from './lenet.js';
import { benchMemory } from './memory.js';
import { Report } from './report.js';
import { benchSgemm } from './sgemm.js';
import { benchJitWebgpu } from './webgpu/jit-step.js';
import { benchZoo, benchZooInference } from './zoo.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : undefined;
const memory = args.includes('--memory');
const stepsArg = args.find((a) => a.startsWith('--steps='));
const memorySteps = stepsArg ? Number(stepsArg.slice('--steps='.length)) : 20_000;
const devicesArg = args.find((a) => a.startsWith('--devices='));
const memoryDevices = devicesArg ? devicesArg.slice('--devices='.length).split(',') : ['js', 'cpu', 'webgpu'];
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
  const report = new Report({
    isa: info.isa,
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    fmaPeakGflops: measureFmaPeak(),
    threads: info.threads,
  });
  console.log(`MegEngine.ts benchmarks — ${machine}; ISA ${isaSummary()}${quick ? ' (quick)' : ''}\n${report.contextLine()}`);
  console.log(`wasm backend: ${wasm}`);
  if (want('sgemm')) await benchSgemm(report, 1024, quick);
  if (want('conv')) await benchConv(report, quick);
  if (want('lenet')) await benchLenet(report, quick);
  if (want('zoo')) await benchZoo(report, quick);
  if (only?.has('zoo-infer')) await benchZooInference(report, quick);
  if (want('indexing')) await benchIndexing(report, quick);
  if (want('jit')) await benchJit(report, quick);
  // minutes on a software adapter (lavapipe): only when asked for
  if (only?.has('jit-webgpu')) await benchJitWebgpu(report, quick);
  if (memory) await benchMemory(report, memorySteps, memoryDevices);

  const table = report.table((impl) => impl.startsWith('mge cpu'));
  console.log(`\n${table}\n`);
  for (const line of report.ratios('mge wasm', 'tfjs-backend-wasm')) report.note(line);
  // The memory mode alone writes its own file, so it does not replace the throughput results.
  // The zoo rows alone (--only=zoo, minutes of work) go to their own file as well.
  const file =
    memory && !only
      ? 'results-memory.json'
      : only?.size === 1 && only.has('zoo')
        ? 'results-zoo.json'
        : only?.size === 1 && only.has('zoo-infer')
          ? `results-zoo-infer-${info.threads}t.json`
          : only?.size === 1 && only.has('jit')
            ? 'results-jit.json'
            : only?.size === 1 && only.has('jit-webgpu')
              ? 'results-jit-webgpu.json'
              : only?.size === 1 && only.has('conv')
                ? 'results-conv.json'
                : 'results.json';
  const out = join(dirname(dirname(fileURLToPath(import.meta.url))), file);
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), machine, isa: isaSummary(), cpu: info, context: report.context, wasm, quick, rows: report.rows, notes: report.notes }, null, 2)}\n`,
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
