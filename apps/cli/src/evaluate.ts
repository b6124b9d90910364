import { noGrad, type Tensor } from '@mge/core';
import { DataLoader, type ImageDataset, type Transform } from '@mge/data';
import * as F from '@mge/functional';
import type { Module } from '@mge/module';

export interface EvalResult {
  /** Mean cross-entropy over the split. */
  loss: number;
  /** Fraction of images whose top-1 class is the label. */
  accuracy: number;
  correct: number;
  count: number;
}

/** Number of images whose highest logit is at the label, as a float32 scalar tensor. */
export function correctCount(logits: Tensor, labels: Tensor): Tensor {
  return logits.argmax(1).eq(labels).astype('float32').sum();
}

/** Loss and top-1 accuracy of `model` on a whole split, without recording gradients. */
export async function evaluate(model: Module, dataset: ImageDataset, transform: Transform, batchSize = 500): Promise<EvalResult> {
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let correct = 0;
  try {
    const loader = new DataLoader(dataset, { batchSize, transform });
    for await (const [images, labels] of loader) {
      const [loss, right] = noGrad(() => {
        const logits = model(images) as Tensor;
        return [F.crossEntropy(logits, labels, { reduction: 'sum' }), correctCount(logits, labels)];
      });
      const [l, c] = await Promise.all([loss.itemAsync(), right.itemAsync()]);
      lossSum += l;
      correct += c;
    }
  } finally {
    model.train(wasTraining);
  }
  const count = dataset.length;
  return { loss: lossSum / count, accuracy: correct / count, correct, count };
}
