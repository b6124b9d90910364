import { noGrad, random, ready, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import '@mge/kernels-cpu';
import { trace } from '@mge/jit';
import { createModel } from '@mge/models-zoo';
import { randomFloats } from './stats.js';

await ready();
setDefaultDevice('cpu');
random.seed(2);
const name = process.argv[2] ?? 'mobilenet_v2';
const b = Number(process.argv[3] ?? 1);
const model = createModel(name).eval();
const x = tensor(randomFloats(b * 3 * 224 * 224, 9), { shape: [b, 3, 224, 224] });
const f = trace((t: Tensor) => noGrad(() => model(t) as Tensor), { captureAsConst: true, optimizeForInference: true });
for (let i = 0; i < 3; i++) await f(x).data();
const prog = (f as unknown as { latestProgram?: unknown }) && f.stats;
console.log(prog);
const want = await noGrad(() => model(x) as Tensor).data();
const got = await f(x).data();
let err = 0;
let mx = 0;
for (let i = 0; i < want.length; i++) {
  err = Math.max(err, Math.abs(want[i] - got[i]));
  mx = Math.max(mx, Math.abs(want[i]));
}
console.log(`max |traced - eager| = ${err.toExponential(2)} (max |eager| ${mx.toFixed(3)})`);
for (let r = 0; r < 3; r++) {
  let t0 = performance.now();
  for (let i = 0; i < 10; i++) await noGrad(() => model(x) as Tensor).data();
  const eager = (performance.now() - t0) / 10;
  t0 = performance.now();
  for (let i = 0; i < 10; i++) await f(x).data();
  const traced = (performance.now() - t0) / 10;
  console.log(`eager ${eager.toFixed(2)} ms, traced ${traced.toFixed(2)} ms`);
}
