import { GradManager, getBackend, Parameter, ready, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import { Adam } from '@mge/optimizer';
import '@mge/kernels-webgpu';
import { afterAll, describe, expect, it } from 'vitest';
import { trace } from '../src/index.js';
import { batch, lenetStep, maxRelDiff } from './helpers.js';

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
    const eager = lenetStep(3);
    const traced = lenetStep(3);
    const step = trace(traced.step);
    for (let i = 0; i < 4; i++) {
      const [x, y] = batch(2, i, 'webgpu');
      const le = await eager.step(x, y).data();
      const lt = await step(x, y).data();
      expect(Math.abs(le[0] - lt[0])).toBeLessThan(1e-5);
    }
    expect(step.traceCount).toBe(1);
    const pe = [...eager.model.parameters()];
    const pt = [...traced.model.parameters()];
    for (let i = 0; i < pe.length; i++) {
      expect(maxRelDiff((await pt[i].data()) as Float32Array, (await pe[i].data()) as Float32Array)).toBeLessThan(1e-5);
    }
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
