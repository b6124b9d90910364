import { deviceInfo, getBackend, getDefaultDevice, ready } from '@mge/core';
import { describe, expect, it } from 'vitest';
import '../../src/index.js';
import '@mge/kernels-webgpu';
import { compareSteps, lenetStep } from '../../../kernels-webgpu/test/lenet-step.js';

describe('wasm in the browser', () => {
  it('is the default over a software WebGPU adapter (SwiftShader here), and the registry says so', async () => {
    await ready();
    expect(deviceInfo().find((d) => d.name === 'wasm')?.state).toBe('ready');
    const gpu = deviceInfo().find((d) => d.name === 'webgpu');
    expect(gpu?.state).toBe('ready');
    expect(gpu?.autoSelectable).toBe(false);
    expect(getDefaultDevice()).toBe('wasm');
    expect(gpu?.note).toMatch(/^'webgpu' \(.+\) is not chosen by default \(software adapter\); the default device is 'wasm'$/);
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
