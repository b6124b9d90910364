import { getBackend, ready } from '@mge/core';
import { describe, expect, it } from 'vitest';
import '../../src/index.js';
import { compareSteps, lenetStep, type StepResult } from '../lenet-step.js';

// Batch 4: SwiftShader runs every shader on the CPU.
const BATCH = 4;

// The reference, once for both contexts.
const ref = await lenetStep('js', BATCH);

describe('LeNet training step on webgpu in the browser', () => {
  it('matches the js backend in the page (loss, every gradient, every updated parameter)', async () => {
    await ready();
    expect(getBackend('webgpu').name).toBe('webgpu');
    const got = await lenetStep('webgpu', BATCH);
    expect(Number.isFinite(ref.loss)).toBe(true);
    expect(Object.keys(got.values).length).toBe(20); // 10 parameters: gradient + updated value each
    expect(compareSteps(got, ref)).toEqual([]);
  });

  // In a Worker, navigator.gpu and the registry start on their own; the step runs matmul, conv2d
  // forward and both backward passes, pooling and its gradient, reductions and elementwise ops there.
  it('matches the js backend in a dedicated Worker', async () => {
    const worker = new Worker(new URL('./lenet-worker.ts', import.meta.url), { type: 'module' });
    const reply = await new Promise<{ error?: string; step?: StepResult; adapter?: string }>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(`worker failed: ${e.message}`));
      worker.postMessage(BATCH);
    });
    worker.terminate();
    expect(reply.error).toBeUndefined();
    expect(reply.adapter).toMatch(/\S/);
    expect(compareSteps(reply.step!, ref)).toEqual([]);
  });
});
