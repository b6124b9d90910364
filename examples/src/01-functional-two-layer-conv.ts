// MegEngine's network-building guide examples, first program: a two-layer convolutional network written with functional operators.
import * as mge from 'megengine';
import * as F from 'megengine/functional';

function twoLayerConv(x: mge.Tensor): mge.Tensor {
  // (8, 3, 3, 3) is (output channels, input channels, kernel height, kernel width)
  let convWeight = new mge.Parameter(mge.random.normal(0, 1, [8, 3, 3, 3]));
  // one bias for each of the 8 kernels
  let convBias = new mge.Parameter(mge.zeros([1, 8, 1, 1]));
  x = F.conv2d(x, convWeight, convBias);
  x = F.relu(x);
  convWeight = new mge.Parameter(mge.random.normal(0, 1, [16, 8, 3, 3]));
  convBias = new mge.Parameter(mge.zeros([1, 16, 1, 1]));
  x = F.conv2d(x, convWeight, convBias);
  x = F.relu(x);
  return x;
}

// an input of shape (2, 3, 32, 32)
const x = mge.tensor(mge.random.normal(0, 1, [2, 3, 32, 32]));
const out = twoLayerConv(x);
console.log(out.shape);
