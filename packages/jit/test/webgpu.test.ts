import { getBackend, ready, setDefaultDevice } from '@mge/core';
import '@mge/kernels-webgpu';
import { afterAll, describe, it } from 'vitest';
import { expectAdamStepCountReported, expectTracedLeNetMatchesEager } from './helpers.js';

/** The webgpu device, or why there is none: skipped here, a failure under CI=true (the CI installs lavapipe). */
async function webgpu(): Promise<boolean> {
  await ready();
  try {
    getBackend('webgpu');
    return true;
  } catch (e) {
    if (process.env.CI === 'true') throw new Error(`CI=true requires a WebGPU adapter: ${(e as Error).message}`);
    console.warn(`[jit] no WebGPU adapter, webgpu trace tests skipped: ${(e as Error).message}`);
    return false;
  }
}
const gpu = await webgpu();

afterAll(() => setDefaultDevice('js'));

describe.skipIf(!gpu)('trace on webgpu', () => {
  it('a traced LeNet training step gives the eager parameters after 4 steps', async () => {
    setDefaultDevice('webgpu');
    await expectTracedLeNetMatchesEager('webgpu', 4, 2);
  });

  it("reports Adam's changing bias correction at the second call", () => {
    setDefaultDevice('webgpu');
    expectAdamStepCountReported();
  });
});
