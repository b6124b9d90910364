/**
 * The replay's buffer plan on wasm: intermediates live in blocks of module memory planned once,
 * a replay takes buffers only for what leaves the step, and training matches the eager step.
 */
import { getBackend, random, ready, setDefaultDevice, tensor } from '@mge/core';
import '@mge/kernels-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { batch, expectTracedLeNetMatchesEager, expectTracedMatchesEager, lenetStep, smallResNetStep } from './helpers.js';
import { expectPlanFreedWithProgram, expectPlannedReplay } from './plan-checks.js';

await ready(['wasm']);

afterAll(() => setDefaultDevice('js'));

interface WasmInternals {
  malloc(bytes: number): number;
  plannedBytes: number;
  memory(): { liveBuffers: number; liveBytes: number; pooledBytes: number };
}

/** Counts the blocks the wasm backend hands out (its pool or the module's malloc). */
function probe() {
  const b = getBackend('wasm') as unknown as WasmInternals;
  let taken = 0;
  const malloc = b.malloc;
  b.malloc = (bytes: number) => {
    taken++;
    return malloc.call(b, bytes);
  };
  return {
    taken: () => taken,
    footprint: () => {
      const m = b.memory();
      return m.liveBytes + m.pooledBytes + b.plannedBytes;
    },
    live: () => b.memory().liveBuffers,
    restore: () => {
      b.malloc = malloc;
    },
  };
}

describe('buffer plan (wasm)', () => {
  it('a traced LeNet training step gives the eager parameters after 30 steps (1e-5)', async () => {
    setDefaultDevice('wasm');
    await expectTracedLeNetMatchesEager('wasm', 30, 4);
  });

  it('a traced ResNet-shaped training step gives the eager parameters after 20 steps (1e-5)', async () => {
    setDefaultDevice('wasm');
    await expectTracedMatchesEager(
      () => smallResNetStep(5),
      (i) => {
        random.seed(i);
        return [random.normal(0, 1, [4, 3, 8, 8], { device: 'wasm' }), tensor([i % 10, 3, 7, 1], { dtype: 'int32', device: 'wasm' })];
      },
      20,
    );
  });

  it('plans most steps once; a replay allocates only what leaves the step, the same every time', async () => {
    setDefaultDevice('wasm');
    const p = probe();
    try {
      await expectPlannedReplay(() => lenetStep(3), batch(4, 1, 'wasm'), p, 5);
    } finally {
      p.restore();
    }
    expect((getBackend('wasm') as unknown as WasmInternals).plannedBytes).toBeGreaterThan(0);
  });

  it('gives the planned blocks back to the module when the traced function is collected', async () => {
    setDefaultDevice('wasm');
    const b = getBackend('wasm') as unknown as WasmInternals;
    await expectPlanFreedWithProgram(
      () => lenetStep(4),
      batch(2, 2, 'wasm'),
      () => b.plannedBytes,
    );
  });
});
