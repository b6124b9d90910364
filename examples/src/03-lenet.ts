// MegEngine's network-building guide examples, third program: LeNet.
import * as mge from 'megengine';
import * as F from 'megengine/functional';
import * as M from 'megengine/module';

class LeNet extends M.Module {
  conv1: M.Conv2d;
  relu1: M.ReLU;
  pool1: M.MaxPool2d;
  conv2: M.Conv2d;
  relu2: M.ReLU;
  pool2: M.MaxPool2d;
  fc1: M.Linear;
  relu3: M.ReLU;
  fc2: M.Linear;
  relu4: M.ReLU;
  classifier: M.Linear;

  constructor() {
    super();
    // a single-channel input, 6 output channels, a 5×5 kernel
    this.conv1 = new M.Conv2d(1, 6, 5);
    this.relu1 = new M.ReLU();
    this.pool1 = new M.MaxPool2d(2, 2);
    this.conv2 = new M.Conv2d(6, 16, 5);
    this.relu2 = new M.ReLU();
    this.pool2 = new M.MaxPool2d(2, 2);
    // fully connected layers
    this.fc1 = new M.Linear(16 * 5 * 5, 120);
    this.relu3 = new M.ReLU();
    this.fc2 = new M.Linear(120, 84);
    this.relu4 = new M.ReLU();
    // the classifier
    this.classifier = new M.Linear(84, 10);
  }

  forward(x: mge.Tensor): mge.Tensor {
    x = this.pool1(this.relu1(this.conv1(x)));
    x = this.pool2(this.relu2(this.conv2(x)));
    // F.flatten flattens (N, C, H, W) from axis 1 into (N, C*H*W),
    // the same as x = x.reshape(x.shape[0], -1)
    x = F.flatten(x, 1);
    x = this.relu3(this.fc1(x));
    x = this.relu4(this.fc2(x));
    x = this.classifier(x);
    return x;
  }
}

// an input of shape (2, 1, 32, 32)
const x = mge.tensor(mge.random.normal(0, 1, [2, 1, 32, 32]));
const leNet = new LeNet();
// calling the network runs leNet's forward method
const out = leNet(x);
console.log(out.shape);
