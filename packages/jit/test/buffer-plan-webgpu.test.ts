/**
 * The replay's buffer plan on webgpu: intermediates live in arena blocks planned once, a replay
 * takes buffers only for what leaves the step (that a planned traced step trains as the eager one
 * does is webgpu.test.ts's). Small (LeNet at batch 2): software WebGPU is slow.
 */
import { getBackend, ready, setDefaultDevice } from '@mge/core';
import '@mge/kernels-webgpu';
import { afterAll, describe, it } from 'vitest';
import { batch, lenetStep } from './helpers.js';
import { expectPlanFreedWithProgram, expectPlannedReplay } from './plan-checks.js';

/** The webgpu device, or why there is none: skipped here, a failure under CI=true (the CI installs lavapipe). */
async function webgpu(): Promise<boolean> {
  await ready();
  try {
    getBackend('webgpu');
    return true;
  } catch (e) {
    if (process.env.CI === 'true') throw new Error(`CI=true requires a WebGPU adapter: ${(e as Error).message}`);
    console.warn(`[jit] no WebGPU adapter, webgpu buffer-plan tests skipped: ${(e as Error).message}`);
    return false;
  }
}
const gpu = await webgpu();

afterAll(() => setDefaultDevice('js'));

interface GpuInternals {
  plannedBytes: number;
  runtime: {
    pool: { acquire: (...a: unknown[]) => unknown; liveBuffers: number };
    arena: { carvedBytes: number };
  };
}

describe.skipIf(!gpu)('buffer plan (webgpu)', () => {
  it('plans most steps once; a replay takes arena blocks only for what leaves the step, the same every time', async () => {
    setDefaultDevice('webgpu');
    const { pool, arena } = (getBackend('webgpu') as unknown as GpuInternals).runtime;
    let taken = 0;
    const acquire = pool.acquire;
    pool.acquire = (...a: unknown[]) => {
      taken++;
      return acquire.apply(pool, a);
    };
    try {
      await expectPlannedReplay(
        () => lenetStep(3),
        batch(2, 1, 'webgpu'),
        { taken: () => taken, footprint: () => arena.carvedBytes, live: () => pool.liveBuffers },
        3,
      );
    } finally {
      pool.acquire = acquire;
    }
  });

  it('gives the planned blocks back to the pool when the traced function is collected', async () => {
    setDefaultDevice('webgpu');
    const b = getBackend('webgpu') as unknown as GpuInternals;
    await expectPlanFreedWithProgram(
      () => lenetStep(4),
      batch(2, 2, 'webgpu'),
      () => b.plannedBytes,
    );
  });
});
