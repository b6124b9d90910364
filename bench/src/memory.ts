// Memory mode (`pnpm bench --memory [--steps=N] [--devices=js,cpu,webgpu]`): the README's
// synchronous training loop (src/readme-loop.ts), N steps (default 20,000) in a fresh process
// per device, RSS sampled every N/20 steps. Reports the growth from the RSS after a warm-up of
// N/10 steps to the end (target < 5 %).
import { spawnSync } from 'node:child_process';
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
}

export async function benchMemory(report: Report, steps: number, devices: readonly string[]): Promise<void> {
  if (!Number.isInteger(steps) || steps < 20) throw new RangeError(`bench --memory: --steps must be an integer ≥ 20, got ${steps}`);
  const every = Math.max(1, Math.floor(steps / 20));
  for (const device of devices) {
    console.log(`\nMemory: the README's synchronous training loop (LeNet, batch 64, MNIST), ${steps} steps on ${device}`);
    const r = spawnSync(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', join(here, 'readme-loop.ts'), device, String(steps), String(every)],
      {
        cwd: dirname(here),
        encoding: 'utf8',
        env: { ...process.env, MGE_QUIET: '1' },
        maxBuffer: 1 << 24,
      },
    );
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) {
      report.note(`memory: ${device}: the loop failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      continue;
    }
    const res = JSON.parse(line) as LoopResult;
    const warm = Math.max(0, Math.round(res.rss.length / 10) - 1); // the sample at N/10 steps
    const base = res.rss[warm];
    const end = res.rss[res.rss.length - 1];
    const peak = Math.max(...res.rss.slice(warm));
    res.rss.forEach((b, i) => {
      console.log(`  step ${String((i + 1) * res.every).padStart(6)}: RSS ${mib(b).toFixed(1)} MiB`);
    });
    const growth = ((end - base) / base) * 100;
    report.note(
      `memory: ${device}: ${res.steps} README-loop steps (LeNet b64, synchronous, no dispose) in ${res.seconds.toFixed(1)} s; ` +
        `RSS after ${(warm + 1) * res.every}-step warm-up ${mib(base).toFixed(1)} MiB, at the end ${mib(end).toFixed(1)} MiB ` +
        `(growth ${growth.toFixed(1)} %, target < 5 %), peak ${mib(peak).toFixed(1)} MiB; final loss ${res.loss.toFixed(4)}`,
    );
  }
}
