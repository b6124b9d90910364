import type { Module } from '@mge/module';
import { ConvReLU, TwoLayerConv } from './conv-relu.js';
import { LeNet } from './lenet.js';

export interface ZooEntry {
  /** Builds a fresh model. */
  create: () => Module;
  /** The input shape of one sample (without the batch axis). */
  inputShape: number[];
  description: string;
}

/** Models by the name the CLI and the playground use. */
export const zoo: Record<string, ZooEntry> = {
  lenet: { create: () => new LeNet(), inputShape: [1, 32, 32], description: 'LeNet-5 for 32×32 grey digits, 10 classes' },
  'two-layer-conv': { create: () => new TwoLayerConv(), inputShape: [3, 32, 32], description: 'Two ConvReLU blocks, 3→8→16 channels' },
  'conv-relu': { create: () => new ConvReLU(3, 8), inputShape: [3, 32, 32], description: 'One 3×3 conv + ReLU, 3→8 channels' },
};

export function createModel(name: string): Module {
  const entry = zoo[name];
  if (!entry) throw new Error(`createModel: unknown model '${name}'; known models are ${Object.keys(zoo).join(', ')}`);
  return entry.create();
}
