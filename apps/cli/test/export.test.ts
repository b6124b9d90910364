import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { random, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import { LeNet } from '@mge/models-zoo';
import { SGD } from '@mge/optimizer';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { writeCheckpoint } from '../src/checkpoint.js';
import { mge } from './helpers.js';

describe('mge export', () => {
  it('writes an ONNX model that onnxruntime runs with the checkpoint’s outputs', async () => {
    setDefaultDevice('js');
    random.seed(3);
    const model = new LeNet();
    const dir = mkdtempSync(join(tmpdir(), 'mge-export-'));
    const ckpt = join(dir, 'lenet.safetensors');
    await writeCheckpoint(ckpt, model, new SGD(model.parameters(), { lr: 0.1 }), { model: 'lenet', epoch: 1 });
    const out = join(dir, 'lenet.onnx');
    const r = await mge('export', ckpt, '--model', 'lenet', '--onnx', out, '--batch-size', '2', '--device', 'js', '--json');
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toMatchObject({ model: 'lenet', onnx: out, opset: 17, input: [2, 1, 32, 32], output: [2, 10] });

    const x = Float32Array.from({ length: 2 * 32 * 32 }, (_, i) => Math.sin(i));
    model.eval();
    const want = await (model(tensor(x).reshape([2, 1, 32, 32])) as Tensor).data();
    const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(out)));
    const res = await session.run({ input: new ort.Tensor('float32', x, [2, 1, 32, 32]) });
    const got = res.logits.data as Float32Array;
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[i])));
  });

  it('asks for --onnx', async () => {
    const r = await mge('export', 'x.safetensors');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^mge export: --onnx <file> is required/);
  });
});
