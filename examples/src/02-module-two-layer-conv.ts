// MegEngine's network-building guide examples, second program: the same network built from Modules, and a state dict.
import * as mge from 'megengine';
import * as F from 'megengine/functional';
import * as M from 'megengine/module';

class ConvReLU extends M.Module {
  convWeight: mge.Parameter;
  convBias: mge.Parameter;
  relu: M.ReLU;

  constructor(inChannels: number, outChannels: number) {
    super();
    // weight and bias of a 3×3 convolution
    this.convWeight = new mge.Parameter(mge.random.normal(0, 1, [outChannels, inChannels, 3, 3]));
    this.convBias = new mge.Parameter(mge.zeros([1, outChannels, 1, 1]));
    // ReLU as a module
    this.relu = new M.ReLU();
  }

  forward(x: mge.Tensor): mge.Tensor {
    x = F.conv2d(x, this.convWeight, this.convBias);
    x = this.relu(x);
    return x;
  }
}

class TwoLayerConv extends M.Module {
  convRelu1: ConvReLU;
  convRelu2: ConvReLU;

  constructor() {
    super();
    this.convRelu1 = new ConvReLU(3, 8);
    this.convRelu2 = new ConvReLU(8, 16);
  }

  forward(x: mge.Tensor): mge.Tensor {
    x = this.convRelu1(x);
    x = this.convRelu2(x);
    return x;
  }
}

// an input of shape (2, 3, 32, 32)
const x = mge.tensor(mge.random.normal(0, 1, [2, 3, 32, 32]));
const twoLayerConvModule = new TwoLayerConv();
const out = twoLayerConvModule(x);
console.log(out.shape);

const convRelu = new ConvReLU(2, 3);
console.log(convRelu.stateDict());
