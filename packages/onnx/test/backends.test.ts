import { readFileSync } from 'node:fs';
import * as core from '@mge/core';
import '@mge/kernels-wasm';
import '@mge/kernels-webgpu';
import { trace } from '@mge/jit';
import { LeNet } from '@mge/models-zoo';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOnnx, toOnnxBytes } from '../src/index.js';
import { maxRelError, randomData, runOrt } from './helpers.js';

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
  it.skipIf(!available).each(['lenet', 'mlp', 'pads'])('%s matches PyTorch', async (name) => {
    const golden = JSON.parse(fixture(name, 'json').toString());
    const model = loadOnnx(new Uint8Array(fixture(name, 'onnx')), { inputShapes: { input: golden.input.shape } });
    const x = core.tensor(golden.input.data, { dtype: golden.input.dtype, device }).reshape(golden.input.shape);
    const [y] = model.run([x], { device });
    expect(y.device).toBe(device);
    expect(maxRelError(await y.data(), golden.output.data)).toBeLessThan(1e-5);
  });
});

describe.each([
  ['wasm', true],
  ['webgpu', gpu],
] as const)('dump and round trip on %s', (device, available) => {
  it.skipIf(!available)('a LeNet traced there runs in onnxruntime and back through loadOnnx', async () => {
    core.setDefaultDevice(device);
    core.random.seed(4);
    const model = new LeNet();
    model.eval();
    const x = core.tensor(randomData(2 * 32 * 32, 5), { device }).reshape([2, 1, 32, 32]);
    const infer = trace((t: core.Tensor) => model(t) as core.Tensor);
    const want = await infer(x).data();
    const bytes = await toOnnxBytes(infer, { names: model });
    const [ort] = await runOrt(bytes, [x]);
    expect(maxRelError(ort, want)).toBeLessThan(1e-5);
    const [y] = loadOnnx(bytes).run([x], { device });
    expect(maxRelError(await y.data(), want)).toBeLessThan(1e-5);
  });
});
