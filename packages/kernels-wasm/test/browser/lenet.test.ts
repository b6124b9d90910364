import { deviceInfo, getBackend, getDefaultDevice, ready } from '@mge/core';
import { describe, expect, it } from 'vitest';
import '../../src/index.js';
import { compareSteps, lenetStep } from '../../../kernels-webgpu/test/lenet-step.js';

describe('wasm in the browser', () => {
  it('is the default device of a page without another accelerated backend', async () => {
    await ready();
    expect(deviceInfo().find((d) => d.name === 'wasm')?.state).toBe('ready');
    expect(getDefaultDevice()).toBe('wasm');
  });
  it('a LeNet training step matches the js backend (loss, every gradient, every updated parameter)', async () => {
    expect(getBackend('wasm').name).toBe('wasm');
    const ref = await lenetStep('js', 8);
    const got = await lenetStep('wasm', 8);
    expect(Number.isFinite(ref.loss)).toBe(true);
    expect(Object.keys(got.values).length).toBe(20);
    expect(compareSteps(got, ref)).toEqual([]);
  });
});
