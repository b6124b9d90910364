import { noGrad, type Pair, Parameter, reshape, type Tensor } from '@mge/core';
import * as F from '@mge/functional';
import { BatchNorm2d } from './batchnorm.js';
import { Conv2d, type Conv2dOptions } from './conv.js';
import { Module } from './module.js';

/** MegEngine's M.ConvRelu2d: Conv2d followed by ReLU (run in the convolution's epilogue). */
export class ConvRelu2d extends Conv2d {
  override forward(x: Tensor): Tensor {
    return F.relu(super.forward(x));
  }
}

export interface ConvBn2dOptions extends Conv2dOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/** The Conv2d → BatchNorm2d (→ ReLU) block; state-dict keys conv.* and bn.* as MegEngine's. */
abstract class ConvBnActivation2d extends Module {
  conv: Conv2d;
  bn: BatchNorm2d;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Pair,
    options: ConvBn2dOptions,
    private readonly withRelu: boolean,
  ) {
    super();
    const { eps, momentum, affine, trackRunningStats, ...conv } = options;
    this.conv = new Conv2d(inChannels, outChannels, kernelSize, conv);
    this.bn = new BatchNorm2d(outChannels, { eps, momentum, affine, trackRunningStats });
  }

  forward(x: Tensor): Tensor {
    const y = this.bn(this.conv(x));
    return this.withRelu ? F.relu(y) : y;
  }

  /**
   * The equivalent single convolution for inference (MegEngine's fuse_conv_bn_relu_module):
   * w' = w·γ/√(σ²+ε) per output channel, b' = (b − μ)·γ/√(σ²+ε) + β, using the running
   * statistics. Returns a Conv2d (ConvRelu2d for ConvBnRelu2d) in eval mode.
   */
  fuse(): Conv2d {
    const { conv, bn } = this;
    if (!bn.runningMean || !bn.runningVar) {
      throw new Error(`${this.constructor.name}.fuse: the batch norm must track running statistics (trackRunningStats: true) to be fused`);
    }
    const o = conv.outChannels;
    const g = conv.groups;
    const Ctor = this.withRelu ? ConvRelu2d : Conv2d;
    const fused = new Ctor(conv.inChannels, o, conv.kernelSize, {
      stride: conv.stride,
      padding: conv.padding,
      dilation: conv.dilation,
      groups: g,
    });
    noGrad(() => {
      const scale = F.div(bn.weight ? reshape(bn.weight, [o]) : F.ones([o]), F.sqrt(F.add(reshape(bn.runningVar!, [o]), bn.eps)));
      const wShape = g === 1 ? [o, 1, 1, 1] : [g, o / g, 1, 1, 1];
      const bias = conv.bias ? reshape(conv.bias, [o]) : F.zeros([o]);
      let b = F.mul(F.sub(bias, reshape(bn.runningMean!, [o])), scale);
      if (bn.bias) b = F.add(b, reshape(bn.bias, [o]));
      fused.weight = new Parameter(F.mul(conv.weight, reshape(scale, wShape)));
      fused.bias = new Parameter(reshape(b, [1, o, 1, 1]));
    });
    return fused.eval();
  }

  protected override extraRepr(): string {
    return '';
  }
}

/** MegEngine's M.ConvBn2d. */
export class ConvBn2d extends ConvBnActivation2d {
  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: ConvBn2dOptions = {}) {
    super(inChannels, outChannels, kernelSize, options, false);
  }
}

/** MegEngine's M.ConvBnRelu2d. */
export class ConvBnRelu2d extends ConvBnActivation2d {
  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: ConvBn2dOptions = {}) {
    super(inChannels, outChannels, kernelSize, options, true);
  }
}
