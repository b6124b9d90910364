/**
 * The README's training loop as written there — a synchronous for…of over a DataLoader, no
 * dispose(), no await — keeps RSS flat on js, cpu and webgpu. The loop runs in a process of its own
 * (bench/src/readme-loop.ts, which `pnpm bench --memory` runs for 20,000 steps on every
 * backend); here fewer steps, RSS growth from the end of a warm-up to the end < 5 %. The
 * warm-up is the first half of the run. V8 doubles its young generation once, at a step that
 * varies from run to run (seen from ~440 to ~1,280 on cpu), and with it the number of dead tensors
 * whose buffers wait for the next scavenge: a one-time rise of ~35 MiB that is not a leak. The
 * child starts with that young generation (--min-semi-space-size=16) so the plateau comes early,
 * and collects fully before each sample (--expose-gc). On webgpu (lavapipe) the run is short;
 * without the collection watcher it created ~25 new GPU buffers every step.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend, ready } from '@mge/core';
import '@mge/kernels-webgpu';
import { describe, expect, it } from 'vitest';

await ready();
let noWebGpu = '';
try {
  getBackend('webgpu');
} catch (e) {
  noWebGpu = (e as Error).message;
  if (process.env.CI === 'true') throw new Error(`CI=true requires a WebGPU adapter: ${noWebGpu}`);
  console.warn(`[models-zoo] no WebGPU adapter, the webgpu memory case is skipped: ${noWebGpu}`);
}

const bench = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench');

interface LoopOut {
  rss: number[];
  heap: number[];
  loss: number;
  gpuBuffers?: number[];
  bindGroups?: number[];
  polls?: number[];
}

function runFull(device: string, steps: number, every: number, batch: number): LoopOut {
  const r = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--min-semi-space-size=16',
      '--conditions=source',
      '--import',
      'tsx',
      join(bench, 'src', 'readme-loop.ts'),
      device,
      String(steps),
      String(every),
      String(batch),
    ],
    {
      cwd: bench,
      encoding: 'utf8',
      env: { ...process.env, MGE_QUIET: '1' },
    },
  );
  expect(r.status, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as LoopOut;
  expect(Number.isFinite(out.loss)).toBe(true);
  return out;
}

function run(device: string, steps: number, every: number, batch: number): number[] {
  return runFull(device, steps, every, batch).rss;
}

/** Growth in % from the median of the samples just after warm-up to the median of the last ones. */
function growth(rss: number[], warmSamples: number): { pct: number; table: string } {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(rss.slice(warmSamples, warmSamples + 3));
  const end = median(rss.slice(-3));
  return { pct: ((end - base) / base) * 100, table: rss.map((b) => (b / 2 ** 20).toFixed(0)).join(' ') };
}

describe("the README's synchronous training loop keeps RSS flat", () => {
  it('cpu: 1,600 LeNet steps at batch 64', () => {
    const rss = run('cpu', 1600, 40, 64);
    const g = growth(rss, rss.length / 2);
    expect(g.pct, `RSS (MiB) every 40 steps: ${g.table}`).toBeLessThan(5);
  }, 600_000);
  it('js: 600 LeNet steps at batch 16', () => {
    const rss = run('js', 600, 20, 16);
    const g = growth(rss, rss.length / 2);
    expect(g.pct, `RSS (MiB) every 20 steps: ${g.table}`).toBeLessThan(5);
  }, 600_000);
  // GPU memory is blocks of a few arena chunks, and blocks of collected tensors come back at core's
  // next allocation (the collection watcher). Bind groups name chunks and size classes, not tensors,
  // so a repeated step makes none (before: one per kernel, ~5 KB each, kept by Dawn for Node until
  // the event loop turns — past 65,536 lavapipe crashed); small blocks have chunks of their own, so
  // which chunk a kernel's operand is in no longer varies with the collector's timing (before: new
  // mixes, ~0.2 bind groups a step at batch 64, for thousands of steps). A submit waits once four
  // batches are in flight, until one is left (before: the loop queued work far ahead of lavapipe,
  // every queued batch holding its commands and uploads, ~0.5 MB a step), and a synchronous wait
  // sleeps through most of the time such waits took before it polls Dawn: each poll leaves a native
  // function that only a turn frees (before: ~85 polls, ~35 KB, a step at batch 64).
  it.skipIf(noWebGpu !== '')(
    'webgpu: 96 LeNet steps at batch 16 keep RSS, GPU buffers, bind groups, Dawn polls and the V8 heap flat',
    () => {
      const steps = 96;
      const every = 8;
      const out = runFull('webgpu', steps, every, 16);
      const created = out.gpuBuffers ?? [];
      const groups = out.bindGroups ?? [];
      const polls = out.polls ?? [];
      expect(created.length).toBe(steps / every);
      const half = created.length / 2 - 1;
      const newBuffers = (created.at(-1) as number) - (created[half] as number);
      expect(newBuffers, `GPU buffers created so far, every ${every} steps: ${created.join(' ')}`).toBeLessThanOrEqual(2);
      // the bind-group count stops growing once the steps repeat: ~100 kernels a step, one bind
      // group each would be ~4,800 in the second half
      const newGroups = (groups.at(-1) as number) - (groups[half] as number);
      expect(newGroups, `bind groups made so far, every ${every} steps: ${groups.join(' ')}`).toBeLessThanOrEqual(3);
      const pollsPerStep = ((polls.at(-1) as number) - (polls[half] as number)) / (steps / 2);
      expect(pollsPerStep, `Dawn polls by synchronous waits so far, every ${every} steps: ${polls.join(' ')}`).toBeLessThan(6);
      const h = growth(out.heap, out.heap.length / 2);
      expect(h.pct, `V8 heap (MiB) every ${every} steps: ${h.table}`).toBeLessThan(5);
      const r = growth(out.rss, out.rss.length / 2);
      expect(r.pct, `RSS (MiB) every ${every} steps: ${r.table}`).toBeLessThan(2);
    },
    600_000,
  );
});
