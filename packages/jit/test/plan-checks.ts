import type { Tensor } from '@mge/core';
import { expect } from 'vitest';
import { trace } from '../src/index.js';
import type { TrainingStep } from './helpers.js';

/** What a backend hands out during a call: buffers taken from it, and the memory it holds from the device or module. */
export interface AllocationProbe {
  /** Buffers the backend has handed out so far (a counter the test installs). */
  taken(): number;
  /** Bytes the backend has obtained from below (module heap, GPU arena) so far. */
  footprint(): number;
  /** Buffers live on the backend. */
  live(): number;
}

/**
 * Traces `make().step` and calls it three times (recording, verifying, the first replay, which
 * makes the buffer plan), then `replays` more times. The plan covers most steps, and each later
 * replay takes from the backend only buffers for what leaves the step (at most the unplanned
 * steps, the same count every time) while its footprint and live buffers do not grow past where
 * the first replay left them.
 */
export async function expectPlannedReplay(
  make: () => TrainingStep,
  [x, y]: [Tensor, Tensor],
  probe: AllocationProbe,
  replays: number,
): Promise<void> {
  const step = trace(make().step);
  for (let i = 0; i < 3; i++) {
    const loss = step(x, y);
    await loss.data();
    loss.dispose();
  }
  const stats = step.stats;
  if (!stats) throw new Error('expected stats after three calls');
  expect(stats.plannedBytes).toBeGreaterThan(0);
  expect(stats.plannedSteps).toBeGreaterThan(stats.steps / 2);
  const footprint = probe.footprint();
  const live = probe.live();
  const counts: number[] = [];
  for (let i = 0; i < replays; i++) {
    const before = probe.taken();
    const loss = step(x, y);
    await loss.data();
    loss.dispose();
    counts.push(probe.taken() - before);
    // at most: tensors of earlier tests may be collected meanwhile
    expect(probe.footprint()).toBeLessThanOrEqual(footprint);
    expect(probe.live()).toBeLessThanOrEqual(live);
  }
  expect(step.traceCount).toBe(1);
  expect(counts.every((c) => c === counts[0])).toBe(true);
  expect(counts[0]).toBeLessThanOrEqual(stats.steps - stats.plannedSteps);
}

/**
 * Traces `make().step`, runs it until its plan is made, drops it, and collects: `plannedBytes`
 * (what the backend holds for plans) goes back to where it was.
 */
export async function expectPlanFreedWithProgram(
  make: () => TrainingStep,
  [x, y]: [Tensor, Tensor],
  plannedBytes: () => number,
): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('expectPlanFreedWithProgram needs node --expose-gc (vitest.shared.ts sets it)');
  // plans of earlier tests' traced functions go first, so they are not taken for this one's
  for (let i = 0, last = -1, same = 0; i < 100 && same < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
    same = plannedBytes() === last ? same + 1 : 0;
    last = plannedBytes();
  }
  const before = plannedBytes();
  await (async () => {
    const step = trace(make().step);
    for (let i = 0; i < 3; i++) {
      const loss = step(x, y);
      await loss.data();
      loss.dispose();
    }
    expect(plannedBytes()).toBeGreaterThan(before);
  })();
  for (let i = 0; i < 100 && plannedBytes() > before; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(plannedBytes()).toBeLessThanOrEqual(before);
}
