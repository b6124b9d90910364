// Memory mode (`pnpm bench --memory [--steps=N] [--webgpu-steps=N] [--devices=js,cpu,webgpu]`): the
// README's synchronous training loop (src/readme-loop.ts), N steps (default 20,000; webgpu's own
// count with --webgpu-steps, since lavapipe runs ~1 s a step) in a fresh process per device, RSS
// sampled after a full collection (--expose-gc) every N/20 steps. Reports the growth from the RSS
// after a warm-up of N/10 steps to the end (target < 5 %) and keeps every series (webgpu: bind
// groups and Dawn polls too) in results-memory.json; notes of devices not run this time are kept.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from './report.js';

const mib = (bytes: number) => bytes / 2 ** 20;
const here = dirname(fileURLToPath(import.meta.url));

interface LoopResult {
  device: string;
  steps: number;
  every: number;
  rss: number[];
  loss: number;
  seconds: number;
  heap: number[];
  bindGroups?: number[];
  polls?: number[];
  gpuBuffers?: number[];
}

/** `--webgpu-steps=N` from the command line, else `steps`. */
function stepsFor(device: string, steps: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${device}-steps=`));
  return arg ? Number(arg.slice(arg.indexOf('=') + 1)) : steps;
}

/** The notes of the previous results-memory.json about devices this run does not measure. */
function keptNotes(devices: readonly string[]): string[] {
  const file = join(dirname(here), 'results-memory.json');
  if (!existsSync(file)) return [];
  try {
    const old = JSON.parse(readFileSync(file, 'utf8')) as { notes?: string[] };
    return (old.notes ?? []).filter((n) => !devices.some((d) => n.startsWith(`memory: ${d}`)));
  } catch {
    return [];
  }
}

export async function benchMemory(report: Report, stepsAll: number, devices: readonly string[]): Promise<void> {
  for (const n of keptNotes(devices)) report.notes.push(n);
  for (const device of devices) {
    const steps = stepsFor(device, stepsAll);
    if (!Number.isInteger(steps) || steps < 20) {
      throw new RangeError(`bench --memory: the step count for ${device} must be an integer ≥ 20, got ${steps}`);
    }
    const every = Math.max(1, Math.floor(steps / 20));
    console.log(`\nMemory: the README's synchronous training loop (LeNet, batch 64, MNIST), ${steps} steps on ${device}`);
    const r = spawnSync(
      process.execPath,
      ['--expose-gc', '--conditions=source', '--import', 'tsx', join(here, 'readme-loop.ts'), device, String(steps), String(every)],
      {
        cwd: dirname(here),
        encoding: 'utf8',
        env: { ...process.env, MGE_QUIET: '1' },
        maxBuffer: 1 << 24,
        // the loop's progress (a line per sample) shows as it runs: a webgpu run takes hours
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) {
      report.note(`memory: ${device}: the loop failed (exit ${r.status}, signal ${r.signal}; its messages are above)`);
      continue;
    }
    const res = JSON.parse(line) as LoopResult;
    const warm = Math.max(0, Math.round(res.rss.length / 10) - 1); // the sample at N/10 steps
    const base = res.rss[warm];
    const end = res.rss[res.rss.length - 1];
    const peak = Math.max(...res.rss.slice(warm));
    res.rss.forEach((b, i) => {
      const gpu = res.bindGroups ? `, bind groups ${res.bindGroups[i]}, Dawn polls ${res.polls?.[i] ?? 0}` : '';
      console.log(`  step ${String((i + 1) * res.every).padStart(6)}: RSS ${mib(b).toFixed(1)} MiB${gpu}`);
    });
    const growth = ((end - base) / base) * 100;
    const when = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    report.note(
      `memory: ${device}: ${res.steps} README-loop steps (LeNet b64, synchronous, no dispose) in ${res.seconds.toFixed(1)} s, ${when}; ` +
        `RSS after ${(warm + 1) * res.every}-step warm-up ${mib(base).toFixed(1)} MiB, at the end ${mib(end).toFixed(1)} MiB ` +
        `(growth ${growth.toFixed(1)} %, target < 5 %), peak ${mib(peak).toFixed(1)} MiB; final loss ${res.loss.toFixed(4)}`,
    );
    report.note(`memory: ${device} RSS (MiB, after gc) every ${res.every} steps: ${res.rss.map((b) => mib(b).toFixed(1)).join(' ')}`);
    report.note(`memory: ${device} V8 heap (MiB) every ${res.every} steps: ${res.heap.map((b) => mib(b).toFixed(1)).join(' ')}`);
    if (res.bindGroups) {
      report.note(`memory: ${device} bind groups made so far, every ${res.every} steps: ${res.bindGroups.join(' ')}`);
      report.note(`memory: ${device} Dawn polls of synchronous waits so far, every ${res.every} steps: ${(res.polls ?? []).join(' ')}`);
      report.note(`memory: ${device} GPU buffers created so far, every ${res.every} steps: ${(res.gpuBuffers ?? []).join(' ')}`);
    }
  }
}
