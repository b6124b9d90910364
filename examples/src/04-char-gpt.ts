// Trains the zoo's character-level GPT on a short text shipped with the examples
// (data/building-networks.txt), then writes a continuation of a prompt.
//   pnpm --filter @mge/examples exec tsx src/04-char-gpt.ts [--steps N] [--device js|cpu]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { random, setDefaultDevice, type Tensor, tensor } from 'megengine';
import { GradManager, noGrad } from 'megengine/autodiff';
import * as F from 'megengine/functional';
import { CharGPT } from 'megengine/hub';
import { Adam } from 'megengine/optimizer';

const { values } = parseArgs({
  options: { steps: { type: 'string', default: '300' }, device: { type: 'string' }, seed: { type: 'string', default: '0' } },
});
const steps = Number(values.steps);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`04-char-gpt: --steps must be a positive integer, got '${values.steps}'`);
if (values.device) setDefaultDevice(values.device);
random.seed(Number(values.seed));

const text = readFileSync(new URL('../data/building-networks.txt', import.meta.url), 'utf8');
const vocab = [...new Set(text)].sort();
const ids = Int32Array.from(text, (c) => vocab.indexOf(c));
const blockSize = 32;
const batch = 16;
const model = new CharGPT({ vocabSize: vocab.length, blockSize, dim: 48, numHeads: 4, numLayers: 2 });
const gm = new GradManager().attach(model.parameters());
const opt = new Adam(model.parameters(), { lr: 3e-3 });

// a batch of random windows: inputs and the same windows shifted by one character
let seed = Number(values.seed) + 1;
const nextInt = (n: number) => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed % n;
};
function sample(): [Tensor, Tensor] {
  const x = new Int32Array(batch * blockSize);
  const y = new Int32Array(batch * blockSize);
  for (let b = 0; b < batch; b++) {
    const at = nextInt(ids.length - blockSize - 1);
    x.set(ids.subarray(at, at + blockSize), b * blockSize);
    y.set(ids.subarray(at + 1, at + blockSize + 1), b * blockSize);
  }
  return [tensor(x, { dtype: 'int32', shape: [batch, blockSize] }), tensor(y, { dtype: 'int32', shape: [batch * blockSize] })];
}

console.log(`${text.length} characters, ${vocab.length} distinct; ${[...model.parameters()].reduce((s, p) => s + p.size, 0)} parameters`);
model.train();
for (let step = 1; step <= steps; step++) {
  const [x, y] = sample();
  gm.record();
  const logits = model(x) as Tensor;
  const loss = F.crossEntropy(logits.reshape([-1, vocab.length]), y);
  gm.backward(loss);
  opt.step().clearGrad();
  if (step === 1 || step % 50 === 0 || step === steps) console.log(`step ${step} loss ${(await loss.data())[0].toFixed(3)}`);
}

// greedy continuation of a prompt, one character at a time
model.eval();
let out = 'A network ';
for (let i = 0; i < 80; i++) {
  const window = Int32Array.from(out.slice(-blockSize), (c) => Math.max(0, vocab.indexOf(c)));
  const logits = noGrad(() => model(tensor(window, { dtype: 'int32', shape: [1, window.length] })) as Tensor);
  const last = (await logits.data()).subarray((window.length - 1) * vocab.length, window.length * vocab.length);
  out += vocab[last.indexOf(Math.max(...last))];
}
console.log(`sample: ${JSON.stringify(out)}`);
