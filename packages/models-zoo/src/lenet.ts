import type { Tensor } from '@mge/core';
import * as F from '@mge/functional';
import * as M from '@mge/module';

/** LeNet from MegEngine's network-building guide examples, for 1×32×32 inputs and 10 classes. */
export class LeNet extends M.Module {
  conv1 = new M.Conv2d(1, 6, 5);
  relu1 = new M.ReLU();
  pool1 = new M.MaxPool2d(2, 2);
  conv2 = new M.Conv2d(6, 16, 5);
  relu2 = new M.ReLU();
  pool2 = new M.MaxPool2d(2, 2);
  fc1 = new M.Linear(16 * 5 * 5, 120);
  relu3 = new M.ReLU();
  fc2 = new M.Linear(120, 84);
  relu4 = new M.ReLU();
  classifier = new M.Linear(84, 10);

  forward(x: Tensor): Tensor {
    x = this.pool1(this.relu1(this.conv1(x)));
    x = this.pool2(this.relu2(this.conv2(x)));
    x = F.flatten(x, 1);
    x = this.relu3(this.fc1(x));
    x = this.relu4(this.fc2(x));
    x = this.classifier(x);
    return x;
  }
}
