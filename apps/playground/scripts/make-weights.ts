/**
 * Trains the LeNet weights the playground ships (assets/lenet-mnist.safetensors) on the
 * bundled 8,000 training digits with the same Trainer the browser uses, then reports the
 * accuracy on the 2,000 held-out digits.
 *   pnpm --filter @mge/playground make-weights [steps] [lr]
 */
import { writeFileSync } from 'node:fs';
import { argmax, noGrad, serialize, setDefaultDevice, tensor } from '@mge/core';
import { mnistTransform } from '@mge/data';
import { MNIST } from '@mge/data/node';
import { Trainer } from '../src/lib/trainer.js';

setDefaultDevice('js');
const steps = Number(process.argv[2] ?? 1000);
const lr = Number(process.argv[3] ?? 0.02);
const trainer = new Trainer(new MNIST({ train: true }), { batchSize: 32, lr, optimizer: 'sgd', seed: 1 });
let ema = 0;
for (let i = 1; i <= steps; i++) {
  const r = await trainer.step();
  ema = i === 1 ? r.loss : 0.95 * ema + 0.05 * r.loss;
  if (i % 50 === 0) console.log(`step ${i} epoch ${r.epoch} loss(ema) ${ema.toFixed(4)}`);
}

const test = new MNIST({ train: false });
const tf = mnistTransform();
const model = trainer.model.eval();
let correct = 0;
for (let start = 0; start < test.length; start += 250) {
  const n = Math.min(250, test.length - start);
  const x = new Float32Array(n * 32 * 32);
  const labels: number[] = [];
  for (let k = 0; k < n; k++) {
    const [img, label] = test.get(start + k);
    x.set(tf({ data: img, channels: 1, height: 28, width: 28 }).data, k * 1024);
    labels.push(label);
  }
  const pred = noGrad(() => argmax(model(tensor(x, { shape: [n, 1, 32, 32] })), 1)).dataSync();
  labels.forEach((l, k) => {
    if (pred[k] === l) correct++;
  });
}
const accuracy = correct / test.length;
console.log(`test accuracy ${(accuracy * 100).toFixed(2)}% on ${test.length} held-out digits`);
const bytes = serialize(model.stateDict(), {
  metadata: { model: 'lenet', steps: String(steps), lr: String(lr), testAccuracy: accuracy.toFixed(4) },
});
writeFileSync(new URL('../assets/lenet-mnist.safetensors', import.meta.url), bytes);
console.log(`wrote assets/lenet-mnist.safetensors (${bytes.length} bytes)`);
