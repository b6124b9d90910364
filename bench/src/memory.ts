// Memory mode (`pnpm bench -- --memory`): many LeNet training steps (batch 64, SGD momentum
// 0.9, cross-entropy) on the cpu device, with RSS sampled after a warm-up and then
// periodically; reports the growth from the post-warm-up RSS to the end (target < 5 %).
import { getBackend, random, setDefaultDevice, tensor } from '@mge/core';
import { labels, lenetTrainer } from './lenet-trainer.js';
import type { Report } from './report.js';
import { randomFloats } from './stats.js';

const mib = (bytes: number) => bytes / 2 ** 20;

export async function benchMemory(report: Report, steps: number): Promise<void> {
  if (!Number.isInteger(steps) || steps < 20) throw new RangeError(`bench --memory: --steps must be an integer ≥ 20, got ${steps}`);
  console.log(`\nMemory: ${steps} LeNet training steps (batch 64) on cpu`);
  const device = 'cpu';
  setDefaultDevice(device);
  random.seed(3);
  const { step } = lenetTrainer();
  const batch = 64;
  const x = tensor(randomFloats(batch * 32 * 32, 11), { shape: [batch, 1, 32, 32], device });
  const y = tensor(labels(batch, 12), { dtype: 'int32', shape: [batch], device });
  const warmup = Math.max(10, Math.floor(steps / 10));
  const every = Math.max(1, Math.floor(steps / 20));
  let base = 0;
  let peak = 0;
  const t0 = performance.now();
  for (let i = 1; i <= steps; i++) {
    await step(x, y);
    if (i === warmup || (i > warmup && (i % every === 0 || i === steps))) {
      const rss = process.memoryUsage().rss;
      if (i === warmup) base = rss;
      peak = Math.max(peak, rss);
      const m = getBackend(device).memory();
      console.log(
        `  step ${String(i).padStart(6)}: RSS ${mib(rss).toFixed(1)} MiB, ${m.liveBuffers} live buffers (${mib(m.liveBytes).toFixed(1)} MiB), ${mib(m.pooledBytes).toFixed(1)} MiB pooled`,
      );
    }
  }
  const end = process.memoryUsage().rss;
  const growth = ((end - base) / base) * 100;
  const seconds = (performance.now() - t0) / 1000;
  report.note(
    `memory: ${steps} LeNet b64 training steps on cpu in ${seconds.toFixed(1)} s; RSS after ${warmup}-step warm-up ${mib(base).toFixed(1)} MiB, ` +
      `at the end ${mib(end).toFixed(1)} MiB (growth ${growth.toFixed(1)} %, target < 5 %), peak ${mib(peak).toFixed(1)} MiB`,
  );
}
