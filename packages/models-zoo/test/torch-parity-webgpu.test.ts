/**
 * The convolutional families' PyTorch parity on WebGPU. The GPT case is left to js and cpu
 * here: on lavapipe it takes ~50 s (its many small distinct kernels), too long for CI.
 */
import { getBackend, ready, resetDefaultDevice, setDefaultDevice } from '@mge/core';
import '@mge/kernels-webgpu';
import { afterAll, describe, it } from 'vitest';
import { checkAgainstTorch, readFixture } from './golden.js';

await ready();
let reason = '';
try {
  getBackend('webgpu');
} catch (e) {
  reason = (e as Error).message;
  if (process.env.CI === 'true') throw new Error(`CI=true requires a WebGPU adapter: ${reason}`);
  console.warn(`[models-zoo] no WebGPU adapter, GPU parity skipped: ${reason}`);
}

afterAll(() => resetDefaultDevice());

describe.skipIf(reason !== '')('zoo models against PyTorch on webgpu', () => {
  for (const name of ['resnet18-tiny', 'shufflenetv2-tiny', 'mobilenetv2-tiny']) {
    it(name, async () => {
      setDefaultDevice('webgpu');
      await checkAgainstTorch(readFixture(name), 3e-3);
    }, 240_000);
  }
});
