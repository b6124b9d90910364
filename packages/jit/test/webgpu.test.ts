import { GradManager, getBackend, Parameter, ready, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import { Adam } from '@mge/optimizer';
import '@mge/kernels-webgpu';
import { afterAll, describe, expect, it } from 'vitest';
import { trace } from '../src/index.js';
import { expectTracedLeNetMatchesEager } from './helpers.js';

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
    const w = new Parameter(tensor([1, 2]));
    const gm = new GradManager().attach([w]);
    const opt = new Adam([w], { lr: 0.1 });
    const step = trace((x: Tensor) => {
      gm.record();
      gm.backward(x.mul(w).sum());
      opt.step().clearGrad();
    });
    step(tensor([1, 1]));
    expect(() => step(tensor([1, 1]))).toThrow(/read the constant .* on the first call and .* on the second/);
  });
});
