/**
 * The replay's buffer plan on cpu: intermediates go to buffers planned once from the recording
 * (liveness-based reuse), the backend hands out memory only for what leaves the step, and a
 * ResNet-shaped training step traced this way trains exactly as the eager one.
 */
import '@mge/kernels-cpu';
import { getBackend, random, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import { afterAll, describe, expect, it } from 'vitest';
import { trace } from '../src/index.js';
import { expectTracedMatchesEager, smallResNetStep } from './helpers.js';

afterAll(() => setDefaultDevice('js'));

function images(n: number, seed: number): [Tensor, Tensor] {
  random.seed(seed);
  const x = random.normal(0, 1, [n, 3, 8, 8], { device: 'cpu' });
  return [
    x,
    tensor(
      Array.from({ length: n }, (_, i) => (i * 3 + seed) % 10),
      { dtype: 'int32', device: 'cpu' },
    ),
  ];
}

describe('buffer plan (cpu)', () => {
  it('a traced ResNet-shaped training step gives the eager parameters after 100 steps (1e-5)', async () => {
    setDefaultDevice('cpu');
    await expectTracedMatchesEager(
      () => smallResNetStep(5),
      (i) => images(4, i),
      100,
    );
  });

  it('plans most outputs once, and a replay takes backend memory only for what leaves the step', async () => {
    setDefaultDevice('cpu');
    const { step: plain } = smallResNetStep(6);
    const step = trace(plain);
    const [x, y] = images(4, 1);
    for (let i = 0; i < 3; i++) await step(x, y).data();
    const stats = step.stats;
    if (!stats) throw new Error('expected stats after three calls');
    expect(stats.plannedBytes).toBeGreaterThan(0);
    expect(stats.plannedSteps).toBeGreaterThan(stats.steps / 2);
    // count the buffers the backend hands out during one replay
    const pool = (getBackend('cpu') as unknown as { pool: { take: (...a: unknown[]) => unknown } }).pool;
    const take = pool.take;
    let taken = 0;
    pool.take = (...a: unknown[]) => {
      taken++;
      return take.apply(pool, a);
    };
    try {
      await step(x, y).data();
    } finally {
      pool.take = take;
    }
    expect(taken).toBeLessThanOrEqual(stats.steps - stats.plannedSteps);
    // planned: no more than the sum of all intermediates, and less than it (buffers are reused)
    expect(stats.plannedBytes).toBeLessThan(stats.plannedSteps * 4 * 4 * 8 * 8 * 4);
  });
});
