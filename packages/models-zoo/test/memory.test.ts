/**
 * Training the way of MegEngine's network-building guide examples — no dispose() anywhere — keeps memory flat: a 2,000-step
 * LeNet loop on random data, with the garbage collector run every 100 steps.
 */
import { GradManager, memory, noGrad, random, sub, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { describe, expect, it } from 'vitest';
import { LeNet } from '../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;

async function settledLiveBytes(): Promise<number> {
  let prev = -1;
  for (let i = 0, stable = 0; i < 20 && stable < 3; i++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 5)); // finalisers run as tasks
    const now = memory().js.liveBytes;
    stable = now === prev ? stable + 1 : 0;
    prev = now;
  }
  return prev;
}

describe('LeNet training memory', () => {
  it('2,000 steps on random data with no dispose() hold memory().js.liveBytes flat', async () => {
    expect(gc, 'vitest must run with --expose-gc').toBeTypeOf('function');
    random.seed(11);
    const leNet = new LeNet();
    const params = [...leNet.parameters()];
    const gm = new GradManager().attach(params);
    const samples: number[] = [];
    for (let step = 1; step <= 2000; step++) {
      const x = random.normal(0, 1, [2, 1, 32, 32]);
      const label = tensor([step % 10, (step * 7) % 10], { dtype: 'int32' });
      gm.record();
      const loss = F.crossEntropy(leNet(x), label);
      gm.backward(loss);
      noGrad(() => {
        for (const p of params) {
          p._reset(sub(p, p.grad!.mul(0.01)));
          p.grad = null;
        }
      });
      if (step % 100 === 0) samples.push(await settledLiveBytes());
    }
    const table = samples.map((b, i) => `${(i + 1) * 100}:${b}`).join(' ');
    // medians: a single sample can catch a collection that has not finished; growth moves the median
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const early = median(samples.slice(1, 6));
    const late = median(samples.slice(-5));
    // parameters alone are 61,706 floats; nothing per step may accumulate
    expect(early).toBeLessThan(2 * 61706 * 4 + 200_000);
    expect(late, `liveBytes by step: ${table}`).toBeLessThanOrEqual(1.1 * early);
  }, 180_000); // ~25 s alone on the js backend; CI runs two packages' tests at once
});
