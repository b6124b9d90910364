/**
 * The Benchmark tab's measurement: the same LeNet training step (forward, backward,
 * SGD update, loss read back) on a device, reported as images per second.
 */
import { GradManager, getDefaultDevice, random, setDefaultDevice, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { LeNet } from '@mge/models-zoo';
import { makeOptimizer } from './optim.js';
import type { BenchResult } from './protocol.js';

export async function benchLenetStep(device: string, batchSize: number, steps: number, warmup = 1): Promise<BenchResult> {
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new RangeError(`benchLenetStep: batchSize must be a positive integer, got ${batchSize}`);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`benchLenetStep: steps must be a positive integer, got ${steps}`);
  const previous = getDefaultDevice();
  try {
    setDefaultDevice(device);
    random.seed(0);
    const model = new LeNet();
    const opt = makeOptimizer('sgd', model.parameters(), 0.01);
    const x = random.normal(0, 1, [batchSize, 1, 32, 32]);
    const y = tensor(
      Int32Array.from({ length: batchSize }, (_, i) => i % 10),
      { dtype: 'int32' },
    );
    const once = async () => {
      const gm = new GradManager().attach(model.parameters());
      gm.record();
      const loss = F.crossEntropy(model(x), y);
      gm.backward(loss);
      opt.step();
      opt.clearGrad();
      await loss.itemAsync();
    };
    for (let i = 0; i < warmup; i++) await once();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await once();
    const ms = (performance.now() - t0) / steps;
    return { device, imagesPerSecond: (batchSize * 1000) / ms, msPerStep: ms, error: null };
  } catch (e) {
    return { device, imagesPerSecond: null, msPerStep: null, error: e instanceof Error ? e.message : String(e) };
  } finally {
    setDefaultDevice(previous);
  }
}
