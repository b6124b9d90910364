// Golden values from PyTorch 1.13 (scripts/goldens/make_goldens.py writes test/fixtures/*.json).
// Each case: forward outputs and d(sum(out * cotangent))/d(input), compared to
// |got - want| <= 1e-4 * max(1, |want|).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GradManager, type Tensor, tensor } from '@mge/core';
import { describe, expect, it } from 'vitest';
// @mge/models-zoo depends on this package, so a package dependency would be a cycle.
import { LeNet } from '../../models-zoo/src/index.js';
import * as F from '../src/index.js';

interface FixtureTensor {
  shape: number[];
  dtype: 'float32' | 'int32';
  data: number[];
}

interface Case {
  name: string;
  op: string;
  args: Record<string, unknown>;
  inputs: Record<string, FixtureTensor>;
  outputs: Record<string, FixtureTensor>;
  cotangent?: FixtureTensor;
  grads: Record<string, FixtureTensor>;
  params?: Record<string, FixtureTensor>;
}

const RTOL = 1e-4;

function load(file: string): Case[] {
  const path = fileURLToPath(new URL(`./fixtures/${file}.json`, import.meta.url));
  return (JSON.parse(readFileSync(path, 'utf8')) as { cases: Case[] }).cases;
}

function toTensor(f: FixtureTensor): Tensor {
  const data = f.dtype === 'int32' ? Int32Array.from(f.data) : Float32Array.from(f.data);
  return tensor(data, { shape: f.shape });
}

/** Every element within tolerance; on failure names the worst elements. */
async function expectClose(what: string, got: Tensor | null | undefined, want: FixtureTensor): Promise<void> {
  expect(got, `${what}: missing`).toBeTruthy();
  const t = got as Tensor;
  expect([...t.shape], `${what}: shape`).toEqual(want.shape);
  const values = await t.data();
  const bad: string[] = [];
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) {
    const a = values[i];
    const b = want.data[i];
    const err = Math.abs(a - b) / Math.max(1, Math.abs(b));
    if (!(err <= RTOL)) {
      worst = Math.max(worst, Number.isNaN(err) ? Number.POSITIVE_INFINITY : err);
      if (bad.length < 5) bad.push(`[${i}] got ${a}, want ${b}`);
    }
  }
  expect(bad, `${what}: ${bad.length ? `worst relative error ${worst.toExponential(2)}` : ''}`).toEqual([]);
}

type Inputs = Record<string, Tensor>;
type Run = (x: Inputs, args: Record<string, unknown>) => Tensor;

const OPS: Record<string, Run> = {
  conv2d: (x, a) =>
    F.conv2d(x.inp, x.weight, x.bias, {
      stride: a.stride as number | [number, number],
      padding: a.padding as number | [number, number],
      dilation: a.dilation as number | [number, number],
      groups: a.groups as number,
    }),
  maxPool2d: (x, a) =>
    F.maxPool2d(
      x.inp,
      a.kernelSize as number | [number, number],
      a.stride as number | [number, number],
      a.padding as number | [number, number],
    ),
  avgPool2d: (x, a) =>
    F.avgPool2d(
      x.inp,
      a.kernelSize as number | [number, number],
      a.stride as number | [number, number],
      a.padding as number | [number, number],
    ),
  batchNorm: (x, a) =>
    F.batchNorm(x.inp, x.runningMean, x.runningVar, x.weight, x.bias, {
      training: a.training as boolean,
      momentum: a.momentum as number,
      eps: a.eps as number,
    }),
  relu: (x) => F.relu(x.inp),
  gelu: (x) => F.gelu(x.inp),
  sigmoid: (x) => F.sigmoid(x.inp),
  leakyRelu: (x, a) => (a.negativeSlope === undefined ? F.leakyRelu(x.inp) : F.leakyRelu(x.inp, a.negativeSlope as number)),
  softmax: (x, a) => F.softmax(x.inp, a.axis as number),
  logSoftmax: (x, a) => F.logSoftmax(x.inp, a.axis as number),
  linear: (x) => F.linear(x.inp, x.weight, x.bias),
  crossEntropy: (x, a) =>
    F.crossEntropy(x.pred, x.label, {
      axis: a.axis as number,
      withLogits: a.withLogits as boolean,
      labelSmooth: a.labelSmooth as number,
      reduction: a.reduction as 'mean' | 'sum' | 'none',
    }),
};

async function checkCase(c: Case): Promise<void> {
  const run = OPS[c.op];
  expect(run, `no runner for op '${c.op}'`).toBeDefined();
  const inputs: Inputs = {};
  for (const [k, v] of Object.entries(c.inputs)) inputs[k] = toTensor(v);
  const differentiated = Object.keys(c.grads).map((k) => inputs[k]);

  const gm = new GradManager().attach(differentiated);
  gm.record();
  const out = run(inputs, c.args);
  // Running statistics are updated in place (MegEngine's batch_norm, inplace=True); compare them
  // before backward so a backward pass cannot hide a wrong forward update.
  for (const [k, want] of Object.entries(c.outputs)) {
    await expectClose(`${c.name} output '${k}'`, k === 'out' ? out : inputs[k], want);
  }
  gm.backward(out, toTensor(c.cotangent as FixtureTensor));
  for (const [k, want] of Object.entries(c.grads)) {
    await expectClose(`${c.name} grad of '${k}'`, inputs[k].grad, want);
  }
}

for (const file of ['conv2d', 'pool', 'batchnorm', 'activation', 'cross_entropy']) {
  describe(`golden ${file} (PyTorch 1.13)`, () => {
    for (const c of load(file)) {
      it(c.name, async () => {
        await checkCase(c);
      });
    }
  });
}

describe('golden LeNet (PyTorch 1.13)', () => {
  const [c] = load('lenet');
  const params = c.params as Record<string, FixtureTensor>;

  it('has the state_dict keys of the PyTorch model, sorted like MegEngine', () => {
    const sd = new LeNet().stateDict();
    expect([...sd.keys()]).toEqual(Object.keys(params).sort());
    for (const [k, v] of sd) expect([...v.shape], k).toEqual(params[k].shape);
  });

  it('forward, cross-entropy loss and every parameter gradient at batch 2', async () => {
    const net = new LeNet();
    net.loadStateDict(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, toTensor(v)])));
    const x = toTensor(c.inputs.inp);
    const label = toTensor(c.inputs.label);
    const named = new Map(net.namedParameters());
    expect([...named.keys()].sort()).toEqual(Object.keys(c.grads).sort());

    const gm = new GradManager().attach(named.values());
    gm.record();
    const logits = net(x);
    const loss = F.crossEntropy(logits, label);
    await expectClose('lenet logits', logits, c.outputs.logits);
    await expectClose('lenet loss', loss, c.outputs.loss);
    gm.backward(loss);
    for (const [k, want] of Object.entries(c.grads)) {
      await expectClose(`lenet grad of '${k}'`, named.get(k)?.grad, want);
    }
  });
});
