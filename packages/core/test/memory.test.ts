/**
 * A training loop written with no dispose() keeps memory flat: autograd drops what
 * it saved once backward used it, and the FinalizationRegistry returns the buffers
 * of unreachable tensors to the backend.
 */
import {
  add,
  conv2dPrimitive,
  GradManager,
  logsumexp,
  matmul,
  mean,
  memory,
  mul,
  noGrad,
  Parameter,
  pool2dPrimitive,
  random,
  relu,
  sub,
  sum,
  type Tensor,
  tensor,
} from '@mge/core';
import { describe, expect, it } from 'vitest';

const gc = (globalThis as { gc?: () => void }).gc;
const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Collects garbage and lets the FinalizationRegistry callbacks run (they are queued as
 * tasks), until live memory holds still for three rounds; V8 may need several to find everything.
 */
async function collect(): Promise<void> {
  let prev = -1;
  let stable = 0;
  for (let i = 0; i < 20 && stable < 3; i++) {
    gc!();
    await macrotask();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const now = memory().js.liveBytes;
    stable = now === prev ? stable + 1 : 0;
    prev = now;
  }
}

describe('memory', () => {
  it('a 2,000-step conv + linear training loop with no dispose() keeps liveBytes flat', async () => {
    expect(gc, 'vitest must run with --expose-gc').toBeTypeOf('function');
    random.seed(3);
    const convW = new Parameter(random.normal(0, 0.3, [4, 1, 3, 3]));
    const convB = new Parameter(random.normal(0, 0.1, [1, 4, 1, 1]));
    const fcW = new Parameter(random.normal(0, 0.1, [64, 10]));
    const fcB = new Parameter(random.normal(0, 0.1, [10]));
    const params = [convW, convB, fcW, fcB];
    const gm = new GradManager().attach(params);
    const samples: [number, number][] = [];
    let firstLoss = 0;
    let lastLoss = 0;
    for (let step = 1; step <= 2000; step++) {
      const x = random.normal(0, 1, [8, 1, 8, 8]);
      const labels = Array.from({ length: 8 }, (_, i) => (i * 3 + step) % 10);
      const onehot = tensor(
        labels.flatMap((l) => Array.from({ length: 10 }, (_, k) => (k === l ? 1 : 0))),
        { shape: [8, 10] },
      );
      gm.record();
      const h = relu(add(conv2dPrimitive(x, convW, { padding: 1 }), convB));
      const p = pool2dPrimitive('max', h, 2);
      const logits = add(matmul(p.reshape(8, 64), fcW), fcB);
      const loss = mean(sub(logsumexp(logits, 1), sum(mul(logits, onehot), 1)));
      gm.backward(loss);
      noGrad(() => {
        for (const q of params) {
          q._reset(sub(q, mul(q.grad!, 0.05)));
          q.grad = null;
        }
      });
      if (step === 1) firstLoss = loss.item();
      if (step === 2000) lastLoss = loss.item();
      if (step % 100 === 0) {
        await collect();
        samples.push([step, memory().js.liveBytes]);
      }
    }
    // medians: a single sample can catch a collection that has not finished; growth moves the median
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const early = median(samples.slice(1, 6).map(([, b]) => b));
    const late = median(samples.slice(-5).map(([, b]) => b));
    const table = samples.map(([s, b]) => `${s}:${b}`).join(' ');
    expect(late, `liveBytes by step: ${table}`).toBeLessThanOrEqual(1.2 * early);
    // the loop really trained (labels are a function of position and step, so the loss stays finite)
    expect(Number.isFinite(lastLoss)).toBe(true);
    expect(Number.isFinite(firstLoss)).toBe(true);
  }, 180_000); // ~20 s alone; CI runs two packages' tests at once

  it('memory() reports live buffers and bytes per device', () => {
    const m0 = memory().js;
    const t: Tensor = tensor(new Float32Array(256));
    const m1 = memory().js;
    expect(m1.liveBuffers - m0.liveBuffers).toBe(1);
    expect(m1.liveBytes - m0.liveBytes).toBe(1024);
    expect(m1.pooledBytes).toBeGreaterThanOrEqual(0);
    t.dispose();
  });

  it('saved tensors are released after backward (a recorded graph does not pin memory)', async () => {
    const w = new Parameter(random.normal(0, 1, [64, 64]));
    const gm = new GradManager().attach(w);
    await collect();
    const before = memory().js.liveBytes;
    for (let i = 0; i < 20; i++) {
      gm.record();
      let h: Tensor = random.normal(0, 1, [64, 64]);
      for (let k = 0; k < 5; k++) h = relu(matmul(h, w));
      gm.backward(sum(h));
      w.grad = null;
    }
    await collect();
    // w.grad is cleared; nothing of the 20 graphs should stay
    expect(memory().js.liveBytes - before).toBeLessThanOrEqual(64 * 64 * 4);
  });
});
