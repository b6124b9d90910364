import { getBackend, ready, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import { trace } from '../src/index.js';
import '@mge/kernels-webgpu';
import { afterAll, describe, expect, it } from 'vitest';
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
  it('a traced LeNet training step gives the eager parameters after 8 steps', async () => {
    setDefaultDevice('webgpu');
    await expectTracedLeNetMatchesEager('webgpu', 8, 2);
  });

  it('a replay is one command buffer: one submit per call once the first replay has sized it', async () => {
    setDefaultDevice('webgpu');
    const stats = (getBackend('webgpu') as unknown as { runtime: { stats: { submits: number; dispatches: number } } }).runtime.stats;
    // 300 kernels, past two eager batches
    const chain = (x: Tensor) => {
      let t = x;
      for (let i = 0; i < 150; i++) t = t.mul(1.001).add(0.5);
      return t;
    };
    const step = trace(chain);
    const x = tensor([1, -2, 3, 0.25]);
    const want = await chain(x).data();
    // recording and verifying (both eager), then the first replay, which learns its dispatch count
    for (let i = 0; i < 3; i++) await step(x).data();
    for (let i = 0; i < 2; i++) {
      const before = { ...stats };
      const out = step(x);
      // submitted at the replay's end, before anything reads the result
      expect(stats.submits - before.submits).toBe(1);
      expect(stats.dispatches - before.dispatches).toBe(300);
      expect(Array.from(await out.data())).toEqual(Array.from(want));
    }
  });

  it('with symbolic, elementwise chains run as one generated kernel each: the LeNet step still gives the eager parameters', async () => {
    setDefaultDevice('webgpu');
    const stats = (getBackend('webgpu') as unknown as { runtime: { stats: { dispatches: number } } }).runtime.stats;
    const chain = (x: Tensor, s: Tensor) => x.mul(s).add(0.5).relu().mul(x).sub(s).exp();
    const step = trace(chain, { symbolic: true });
    const x = tensor([1, -2, 3, 0.25, -0.5]);
    const s = tensor([0.75]);
    const want = await chain(x, s).data();
    for (let i = 0; i < 3; i++) await step(x, s).data();
    expect(step.stats?.fusedLoops).toBe(1);
    const before = stats.dispatches;
    const out = step(x, s);
    expect(stats.dispatches - before).toBe(1);
    const got = await out.data();
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-6 * Math.abs(want[i]));
    await expectTracedLeNetMatchesEager('webgpu', 8, 2, true);
  });

  it("reports Adam's changing bias correction at the second call", () => {
    setDefaultDevice('webgpu');
    expectAdamStepCountReported();
  });
});
