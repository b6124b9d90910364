import type { Module } from '@mge/module';
import { ConvReLU, TwoLayerConv } from './conv-relu.js';
import { LeNet } from './lenet.js';
import { MobileNetV2 } from './mobilenet.js';
import { resnet18, resnet34, resnet50 } from './resnet.js';
import { ShuffleNetV2 } from './shufflenet.js';
import { CharGPT } from './transformer-gpt.js';

export interface ZooEntry {
  /** Builds a fresh model. */
  create: () => Module;
  /** The input shape of one sample (without the batch axis). */
  inputShape: number[];
  /** 'int32' for token ids; float32 otherwise. */
  inputDType?: 'float32' | 'int32';
  description: string;
  /**
   * The same architecture sized for the bundled digits (1×32×32 grey, 10 classes), for
   * models whose own input is something else: what `mge train --model <name>` trains.
   */
  digits?: () => Module;
}

/** The digit-sized ResNets: grey input, CIFAR stem for 32×32, 10 classes. */
const DIGITS = { inChannels: 1, stem: 'cifar', numClasses: 10 } as const;

/** Models by the name the CLI and the playground use. */
export const zoo: Record<string, ZooEntry> = {
  lenet: { create: () => new LeNet(), inputShape: [1, 32, 32], description: 'LeNet-5 for 32×32 grey digits, 10 classes' },
  'two-layer-conv': { create: () => new TwoLayerConv(), inputShape: [3, 32, 32], description: 'Two ConvReLU blocks, 3→8→16 channels' },
  'conv-relu': { create: () => new ConvReLU(3, 8), inputShape: [3, 32, 32], description: 'One 3×3 conv + ReLU, 3→8 channels' },
  resnet18: {
    create: () => resnet18(),
    inputShape: [3, 224, 224],
    description: 'ResNet-18 (BasicBlock ×[2,2,2,2]), 1000 classes',
    digits: () => resnet18(DIGITS),
  },
  resnet34: {
    create: () => resnet34(),
    inputShape: [3, 224, 224],
    description: 'ResNet-34 (BasicBlock ×[3,4,6,3]), 1000 classes',
    digits: () => resnet34(DIGITS),
  },
  resnet50: {
    create: () => resnet50(),
    inputShape: [3, 224, 224],
    description: 'ResNet-50 (Bottleneck ×[3,4,6,3]), 1000 classes',
    digits: () => resnet50(DIGITS),
  },
  'resnet18-cifar': {
    create: () => resnet18({ stem: 'cifar', numClasses: 10 }),
    inputShape: [3, 32, 32],
    description: 'ResNet-18 with the 3×3 CIFAR stem for 32×32 input, 10 classes',
  },
  shufflenet_v2_x0_5: {
    create: () => new ShuffleNetV2({ modelSize: '0.5x' }),
    inputShape: [3, 224, 224],
    description: 'ShuffleNetV2 0.5×, 1000 classes',
  },
  shufflenet_v2_x1_0: {
    create: () => new ShuffleNetV2({ modelSize: '1.0x' }),
    inputShape: [3, 224, 224],
    description: 'ShuffleNetV2 1.0×, 1000 classes',
  },
  shufflenet_v2_x1_5: {
    create: () => new ShuffleNetV2({ modelSize: '1.5x' }),
    inputShape: [3, 224, 224],
    description: 'ShuffleNetV2 1.5×, 1000 classes',
  },
  shufflenet_v2_x2_0: {
    create: () => new ShuffleNetV2({ modelSize: '2.0x' }),
    inputShape: [3, 224, 224],
    description: 'ShuffleNetV2 2.0×, 1000 classes',
  },
  mobilenet_v2: { create: () => new MobileNetV2(), inputShape: [3, 224, 224], description: 'MobileNetV2 1.0×, 1000 classes' },
  'char-gpt': {
    create: () => new CharGPT({ vocabSize: 96, blockSize: 64 }),
    inputShape: [64],
    inputDType: 'int32',
    description: 'Character-level GPT: 2 blocks, 64 wide, 4 heads, 64-character context',
  },
};

export function createModel(name: string): Module {
  const entry = zoo[name];
  if (!entry) throw new Error(`createModel: unknown model '${name}'; known models are ${Object.keys(zoo).join(', ')}`);
  return entry.create();
}
