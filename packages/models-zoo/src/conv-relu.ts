import { Parameter, random, type Tensor, zeros } from '@mge/core';
import * as F from '@mge/functional';
import * as M from '@mge/module';

/** ConvReLU from MegEngine's network-building guide examples: a raw 3×3 conv weight and bias, then ReLU. */
export class ConvReLU extends M.Module {
  convWeight: Parameter;
  convBias: Parameter;
  relu: M.ReLU;

  constructor(inChannels: number, outChannels: number) {
    super();
    this.convWeight = new Parameter(random.normal(0, 1, [outChannels, inChannels, 3, 3]));
    this.convBias = new Parameter(zeros([1, outChannels, 1, 1]));
    this.relu = new M.ReLU();
  }

  forward(x: Tensor): Tensor {
    x = F.conv2d(x, this.convWeight, this.convBias);
    x = this.relu(x);
    return x;
  }
}

/** TwoLayerConv from MegEngine's network-building guide examples: ConvReLU(3, 8) then ConvReLU(8, 16). */
export class TwoLayerConv extends M.Module {
  convRelu1: ConvReLU;
  convRelu2: ConvReLU;

  constructor() {
    super();
    this.convRelu1 = new ConvReLU(3, 8);
    this.convRelu2 = new ConvReLU(8, 16);
  }

  forward(x: Tensor): Tensor {
    x = this.convRelu1(x);
    x = this.convRelu2(x);
    return x;
  }
}
