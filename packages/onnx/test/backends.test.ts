import { readFileSync } from 'node:fs';
import * as core from '@mge/core';
import '@mge/kernels-wasm';
import '@mge/kernels-webgpu';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOnnx } from '../src/index.js';
import { maxRelError } from './helpers.js';

/** The webgpu device, or why there is none: skipped here, a failure under CI=true (the CI installs lavapipe). */
async function webgpu(): Promise<boolean> {
  await core.ready();
  try {
    core.getBackend('webgpu');
    return true;
  } catch (e) {
    if (process.env.CI === 'true') throw new Error(`CI=true requires a WebGPU adapter: ${(e as Error).message}`);
    console.warn(`[onnx] no WebGPU adapter, webgpu loadOnnx tests skipped: ${(e as Error).message}`);
    return false;
  }
}
const gpu = await webgpu();

afterAll(() => core.setDefaultDevice('js'));

const fixture = (name: string, ext: string) => readFileSync(new URL(`./fixtures/${name}.${ext}`, import.meta.url));

describe.each([
  ['wasm', true],
  ['webgpu', gpu],
] as const)('loadOnnx of PyTorch exports on %s', (device, available) => {
  it.skipIf(!available).each(['lenet', 'mlp'])('%s matches PyTorch', async (name) => {
    const golden = JSON.parse(fixture(name, 'json').toString());
    const model = loadOnnx(new Uint8Array(fixture(name, 'onnx')), { inputShapes: { input: golden.input.shape } });
    const x = core.tensor(golden.input.data, { dtype: golden.input.dtype, device }).reshape(golden.input.shape);
    const [y] = model.run([x], { device });
    expect(y.device).toBe(device);
    expect(maxRelError(await y.data(), golden.output.data)).toBeLessThan(1e-5);
  });
});
