import { mean, type Tensor } from '@mge/core';
import * as F from '@mge/functional';
import * as M from '@mge/module';

function positive(op: string, arg: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new TypeError(`${op}: argument '${arg}' must be a positive integer, got ${v}`);
  return v;
}

/** A 1×1 projection shortcut (conv + BN) when the shape changes, else the identity, as MegEngine's hub ResNet. */
function shortcut(inChannels: number, outChannels: number, stride: number): M.Module {
  if (inChannels === outChannels && stride === 1) return new M.Identity();
  return new M.Sequential(new M.Conv2d(inChannels, outChannels, 1, { stride, bias: false }), new M.BatchNorm2d(outChannels));
}

/** Two 3×3 convolutions with a residual connection (ResNet-18/34). */
export class BasicBlock extends M.Module {
  static readonly expansion = 1;
  conv1: M.Conv2d;
  bn1: M.BatchNorm2d;
  conv2: M.Conv2d;
  bn2: M.BatchNorm2d;
  downsample: M.Module;

  constructor(inChannels: number, channels: number, stride = 1) {
    super();
    this.conv1 = new M.Conv2d(inChannels, channels, 3, { stride, padding: 1, bias: false });
    this.bn1 = new M.BatchNorm2d(channels);
    this.conv2 = new M.Conv2d(channels, channels, 3, { padding: 1, bias: false });
    this.bn2 = new M.BatchNorm2d(channels);
    this.downsample = shortcut(inChannels, channels, stride);
  }

  forward(x: Tensor): Tensor {
    const identity = this.downsample(x);
    let y = F.relu(this.bn1(this.conv1(x)));
    y = this.bn2(this.conv2(y));
    return F.relu(F.add(y, identity));
  }
}

/** 1×1 reduce, 3×3, 1×1 expand (×4) with a residual connection (ResNet-50 and deeper). */
export class Bottleneck extends M.Module {
  static readonly expansion = 4;
  conv1: M.Conv2d;
  bn1: M.BatchNorm2d;
  conv2: M.Conv2d;
  bn2: M.BatchNorm2d;
  conv3: M.Conv2d;
  bn3: M.BatchNorm2d;
  downsample: M.Module;

  constructor(inChannels: number, channels: number, stride = 1) {
    super();
    const out = channels * Bottleneck.expansion;
    this.conv1 = new M.Conv2d(inChannels, channels, 1, { bias: false });
    this.bn1 = new M.BatchNorm2d(channels);
    this.conv2 = new M.Conv2d(channels, channels, 3, { stride, padding: 1, bias: false });
    this.bn2 = new M.BatchNorm2d(channels);
    this.conv3 = new M.Conv2d(channels, out, 1, { bias: false });
    this.bn3 = new M.BatchNorm2d(out);
    this.downsample = shortcut(inChannels, out, stride);
  }

  forward(x: Tensor): Tensor {
    const identity = this.downsample(x);
    let y = F.relu(this.bn1(this.conv1(x)));
    y = F.relu(this.bn2(this.conv2(y)));
    y = this.bn3(this.conv3(y));
    return F.relu(F.add(y, identity));
  }
}

export interface ResNetOptions {
  numClasses?: number;
  /** Input channels (3 for RGB, 1 for grey digits). */
  inChannels?: number;
  /**
   * 'imagenet' (default): 7×7/2 conv and a 3×3/2 max pool, for 224×224 input.
   * 'cifar': one 3×3/1 conv and no pool, for 32×32 input.
   */
  stem?: 'imagenet' | 'cifar';
  /** Channels of the first stage (64 in the hub models; smaller for tests). */
  width?: number;
}

type Block = typeof BasicBlock | typeof Bottleneck;

/** MegEngine hub's ResNet: stem, four stages of blocks, global average pool, fc. */
export class ResNet extends M.Module {
  conv1: M.Conv2d;
  bn1: M.BatchNorm2d;
  maxpool: M.Module;
  layer1: M.Sequential;
  layer2: M.Sequential;
  layer3: M.Sequential;
  layer4: M.Sequential;
  fc: M.Linear;

  constructor(block: Block, layers: readonly number[], options: ResNetOptions = {}) {
    super();
    if (block !== BasicBlock && block !== Bottleneck) throw new TypeError("ResNet: argument 'block' must be BasicBlock or Bottleneck");
    if (!Array.isArray(layers) || layers.length !== 4)
      throw new TypeError(`ResNet: argument 'layers' must list 4 stage depths, got ${JSON.stringify(layers)}`);
    for (const [i, n] of layers.entries()) positive('ResNet', `layers[${i}]`, n);
    const numClasses = positive('ResNet', 'numClasses', options.numClasses ?? 1000);
    const inChannels = positive('ResNet', 'inChannels', options.inChannels ?? 3);
    const width = positive('ResNet', 'width', options.width ?? 64);
    const stem = options.stem ?? 'imagenet';
    if (stem !== 'imagenet' && stem !== 'cifar')
      throw new TypeError(`ResNet: option 'stem' must be 'imagenet' or 'cifar', got ${String(stem)}`);
    this.conv1 =
      stem === 'imagenet'
        ? new M.Conv2d(inChannels, width, 7, { stride: 2, padding: 3, bias: false })
        : new M.Conv2d(inChannels, width, 3, { stride: 1, padding: 1, bias: false });
    this.bn1 = new M.BatchNorm2d(width);
    this.maxpool = stem === 'imagenet' ? new M.MaxPool2d(3, 2, 1) : new M.Identity();
    let c = width;
    const stage = (channels: number, blocks: number, stride: number): M.Sequential => {
      const mods: M.Module[] = [];
      for (let i = 0; i < blocks; i++) {
        mods.push(new block(c, channels, i === 0 ? stride : 1));
        c = channels * block.expansion;
      }
      return new M.Sequential(...mods);
    };
    this.layer1 = stage(width, layers[0], 1);
    this.layer2 = stage(width * 2, layers[1], 2);
    this.layer3 = stage(width * 4, layers[2], 2);
    this.layer4 = stage(width * 8, layers[3], 2);
    this.fc = new M.Linear(c, numClasses);
  }

  /** The pooled features before the classifier, (N, C). */
  features(x: Tensor): Tensor {
    x = this.maxpool(F.relu(this.bn1(this.conv1(x))));
    x = this.layer4(this.layer3(this.layer2(this.layer1(x))));
    // a global mean equals the hub's avg_pool2d(x, 7) at 224×224 and works at any size
    return mean(x, [2, 3]);
  }

  forward(x: Tensor): Tensor {
    return this.fc(this.features(x));
  }
}

export const resnet18 = (options: ResNetOptions = {}): ResNet => new ResNet(BasicBlock, [2, 2, 2, 2], options);
export const resnet34 = (options: ResNetOptions = {}): ResNet => new ResNet(BasicBlock, [3, 4, 6, 3], options);
export const resnet50 = (options: ResNetOptions = {}): ResNet => new ResNet(Bottleneck, [3, 4, 6, 3], options);
export const resnet101 = (options: ResNetOptions = {}): ResNet => new ResNet(Bottleneck, [3, 4, 23, 3], options);
