// LeNet from MegEngine's network-building guide examples, trained their way (SGD momentum 0.9,
// cross-entropy): what the LeNet throughput rows run, step for step (the memory mode runs the
// README loop: readme-loop.ts).
import { GradManager, type Tensor } from '@mge/core';
import * as F from '@mge/functional';
import { LeNet } from '@mge/models-zoo';
import { SGD } from '@mge/optimizer';
import { randomFloats } from './stats.js';

export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Class labels 0–9 from a seeded stream. */
export function labels(n: number, seed: number): Int32Array {
  return Int32Array.from(randomFloats(n, seed), (v) => Math.floor((v + 1) * 5) % 10);
}

export interface LenetTrainer {
  model: LeNet;
  /** One training step on (x, y), read back, then one turn of the event loop. */
  step(x: Tensor, y: Tensor): Promise<void>;
}

/** A fresh LeNet on the default device, with its GradManager and optimizer. */
export function lenetTrainer(): LenetTrainer {
  const model = new LeNet();
  const gm = new GradManager().attach(model.parameters());
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  return {
    model,
    async step(x, y) {
      gm.record();
      const loss = F.crossEntropy(model(x) as Tensor, y);
      gm.backward(loss);
      opt.step().clearGrad();
      await loss.data();
      // Let the event loop turn, as a data loader would: core returns the buffers of
      // unreachable tensors from FinalizationRegistry callbacks, which only run between tasks.
      await yieldToEventLoop();
    },
  };
}
