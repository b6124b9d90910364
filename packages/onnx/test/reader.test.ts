import { readFileSync } from 'node:fs';
import * as core from '@mge/core';
import '@mge/kernels-cpu';
import { trace } from '@mge/jit';
import { describe, expect, it } from 'vitest';
import { loadOnnx } from '../src/index.js';
import { maxRelError } from './helpers.js';

const fixture = (name: string, ext: string) => readFileSync(new URL(`./fixtures/${name}.${ext}`, import.meta.url));

interface Golden {
  input: { shape: number[]; dtype: 'float32' | 'int32'; data: number[] };
  output: { shape: number[]; data: number[] };
}

describe.each(['js', 'cpu'])('loadOnnx of PyTorch exports on %s', (device) => {
  it.each(['lenet', 'resblock', 'mlp', 'shuffle', 'ops', 'pads', 'recurrent'])('%s matches PyTorch', async (name) => {
    const golden = JSON.parse(fixture(name, 'json').toString()) as Golden;
    // the graph is built on the same device (js or cpu: both read synchronously)
    const model = loadOnnx(new Uint8Array(fixture(name, 'onnx')), { inputShapes: { input: golden.input.shape }, buildDevice: device });
    const x = core.tensor(golden.input.data, { dtype: golden.input.dtype, device }).reshape(golden.input.shape);
    const [y] = model.run([x], { device });
    expect(y.device).toBe(device);
    expect([...y.shape]).toEqual(golden.output.shape);
    expect(maxRelError(await y.data(), golden.output.data)).toBeLessThan(1e-5);
  });
});

describe('a loaded model under jit.trace', () => {
  it('replays the PyTorch LeNet with the same outputs', async () => {
    const golden = JSON.parse(fixture('lenet', 'json').toString()) as Golden;
    const model = loadOnnx(new Uint8Array(fixture('lenet', 'onnx')), { inputShapes: { input: golden.input.shape }, buildDevice: 'cpu' });
    const fast = trace((x: core.Tensor) => model.run([x], { device: 'cpu' })[0]);
    const x = core.tensor(golden.input.data, { device: 'cpu' }).reshape(golden.input.shape);
    for (let i = 0; i < 3; i++) expect(maxRelError(await fast(x).data(), golden.output.data)).toBeLessThan(1e-5);
    expect(fast.traceCount).toBe(1);
  });
});

describe('loadOnnx errors', () => {
  it('names the first operator it cannot run', () => {
    const bytes = new Uint8Array(fixture('lenet', 'onnx'));
    // rename the first Gemm op type in place (NodeProto field 4, length 4): 'Gemm' → 'Gemx'
    const at = Buffer.from(bytes).indexOf(Buffer.from([0x22, 4, ...Buffer.from('Gemm')])) + 2;
    const patched = Buffer.from(bytes);
    patched[at + 3] = 'x'.charCodeAt(0);
    expect(() => loadOnnx(new Uint8Array(patched))).toThrow(/operator 'Gemx' \(node '[^']*'\) cannot be run/);
  });
  it('rejects bytes that are not a model', () => {
    expect(() => loadOnnx(new Uint8Array([1, 2, 3]))).toThrow(/not an ONNX model/);
    expect(() => loadOnnx('lenet.onnx' as never)).toThrow(/must be a Uint8Array/);
  });
  it('says which input has the wrong shape', () => {
    const model = loadOnnx(new Uint8Array(fixture('lenet', 'onnx')), { inputShapes: { input: [2, 1, 28, 28] } });
    expect(() => model.run([core.zeros([1, 1, 28, 28])])).toThrow(
      /input 0 \(input\) must be float32 of shape \[2, 1, 28, 28\], got float32 of shape \[1, 1, 28, 28\]/,
    );
  });
});
