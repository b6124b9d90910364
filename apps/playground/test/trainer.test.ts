import { setDefaultDevice } from '@mge/core';
import { MNIST } from '@mge/data/node';
import { describe, expect, it } from 'vitest';
import { checkConfig, Trainer } from '../src/lib/trainer.js';

setDefaultDevice('js');

describe('Trainer', () => {
  const train = new MNIST({ train: true });

  it('lowers the loss over 30 SGD steps on the bundled digits', async () => {
    const t = new Trainer(train, { batchSize: 32, lr: 0.05, optimizer: 'sgd', seed: 3 });
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) losses.push((await t.step()).loss);
    const head = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const tail = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(head).toBeGreaterThan(2.0); // ~ln(10) at the start
    expect(tail).toBeLessThan(head * 0.8);
    expect(t.steps).toBe(30);
  });

  it('is reproducible from the seed and resets to step 0', async () => {
    const a = new Trainer(train, { batchSize: 8, seed: 7 });
    const b = new Trainer(train, { batchSize: 8, seed: 7 });
    const ra = await a.step();
    const rb = await b.step();
    expect(ra.loss).toBeCloseTo(rb.loss, 6);
    a.reset();
    expect(a.steps).toBe(0);
    expect((await a.step()).loss).toBeCloseTo(ra.loss, 6);
  });

  it('applies a new batch size and optimizer', async () => {
    const t = new Trainer(train, { batchSize: 8 });
    t.configure({ batchSize: 4, optimizer: 'adam', lr: 0.001 });
    const r = await t.step();
    expect(r.images).toBe(4);
    expect(Number.isFinite(r.loss)).toBe(true);
  });

  it('rejects bad settings with the field named', () => {
    expect(checkConfig({ lr: -1 })).toEqual(['learning rate must be in (0, 10], got -1']);
    expect(checkConfig({ batchSize: 0.5 })[0]).toMatch(/batch size/);
    expect(() => new Trainer(train, { optimizer: 'rmsprop' as never })).toThrow(/optimizer must be one of sgd, adam/);
  });

  it('exports weights as safetensors with LeNet keys', async () => {
    const t = new Trainer(train, { batchSize: 4 });
    const bytes = await t.weights();
    const headerLen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
    expect(header['conv1.weight'].shape).toEqual([6, 1, 5, 5]);
    expect(header['classifier.bias'].shape).toEqual([10]);
  });
});
