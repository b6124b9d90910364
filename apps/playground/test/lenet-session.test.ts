import { readFileSync } from 'node:fs';
import { random, serialize, setDefaultDevice } from '@mge/core';
import { MNIST } from '@mge/data/node';
import { LeNet } from '@mge/models-zoo';
import { describe, expect, it } from 'vitest';
import { argmax, LenetSession } from '../src/lib/lenet-session.js';

setDefaultDevice('js');
const bundled = new Uint8Array(readFileSync(new URL('../assets/lenet-mnist.safetensors', import.meta.url)));

describe('LenetSession', () => {
  it('classifies held-out digits well with the bundled weights', async () => {
    const s = new LenetSession();
    s.load(bundled, 'bundled');
    const test = new MNIST({ train: false });
    const digits: Uint8Array[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 200; i++) {
      const [img, label] = test.get(i * 10);
      digits.push(img as Uint8Array);
      labels.push(label);
    }
    const probs = await s.predict(digits);
    expect(probs[0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const right = probs.filter((p, i) => argmax(p) === labels[i]).length;
    expect(right / 200).toBeGreaterThan(0.9);
  });

  it('explains a corrupt file and keeps the weights', () => {
    const s = new LenetSession();
    s.load(bundled, 'bundled');
    const before = s.model.conv1.weight.dataSync().slice();
    const corrupt = bundled.slice(0, 1000);
    expect(() => s.load(corrupt, 'cut.safetensors')).toThrow(/^cut\.safetensors is not a valid \.safetensors file: .*truncated/);
    expect(() => s.load(new Uint8Array(3), 'tiny.safetensors')).toThrow(
      /^tiny\.safetensors is not a valid \.safetensors file: truncated: 3 bytes/,
    );
    expect(s.model.conv1.weight.dataSync()).toEqual(before);
    expect(s.source).toBe('bundled');
  });

  it('names keys that do not belong to LeNet', () => {
    const s = new LenetSession();
    random.seed(1);
    const other = serialize({ 'fc.weight': new LeNet().fc1.weight });
    expect(() => s.load(other, 'other.safetensors')).toThrow(
      /^other\.safetensors does not hold LeNet weights: missing keys: classifier\.bias/,
    );
  });

  it('round-trips its weights through save/load', async () => {
    const a = new LenetSession();
    const b = new LenetSession();
    b.load(await a.save(), 'copy');
    expect(b.model.fc2.weight.dataSync()).toEqual(a.model.fc2.weight.dataSync());
  });
});
