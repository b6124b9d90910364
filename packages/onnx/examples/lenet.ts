// Runnable: `npx tsx --conditions=source examples/lenet.ts` inside packages/onnx.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { random, type Tensor } from '@mge/core';
import { trace } from '@mge/jit';
import { LeNet } from '@mge/models-zoo';
import { dump, loadOnnx } from '@mge/onnx';

// export: trace the inference once, then dump it (MegEngine's traced.dump(file))
const model = new LeNet();
model.eval();
const infer = trace((x: Tensor) => model(x) as Tensor);
const x = random.normal(0, 1, [1, 1, 32, 32]);
const ours = await infer(x).data();
const file = join(tmpdir(), 'lenet.onnx');
await dump(infer, file, { names: model }); // opset 17, weights inside as initializers
console.log(`wrote ${file}`);

// import: any ONNX model (ours, or torch.onnx.export's) as a runnable model on any backend
const loaded = loadOnnx(new Uint8Array(readFileSync(file)));
console.log(`inputs ${loaded.inputNames.join(', ')} → outputs ${loaded.outputNames.join(', ')}`);
console.log(`operators: ${[...new Set(loaded.graph.nodes.map((n) => n.op))].join(', ')}`);
const [y] = loaded.run([x], { device: 'js' });
const back = await y.data();
console.log(`largest difference to the eager model: ${Math.max(...ours.map((v, i) => Math.abs(v - back[i])))}`);
