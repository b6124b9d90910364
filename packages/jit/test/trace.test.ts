import '@mge/kernels-cpu';
import { GradManager, Parameter, random, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { LeNet } from '@mge/models-zoo';
import { afterAll, describe, expect, it } from 'vitest';
import { TraceError, trace } from '../src/index.js';
import { batch, lenetStep, maxRelDiff } from './helpers.js';

afterAll(() => setDefaultDevice('js'));

for (const device of ['js', 'cpu']) {
  describe(`trace on ${device}`, () => {
    it('replays LeNet inference with the eager outputs, for new inputs', async () => {
      setDefaultDevice(device);
      random.seed(1);
      const model = new LeNet();
      model.eval();
      const infer = trace((x: Tensor) => model(x) as Tensor);
      for (let i = 0; i < 3; i++) {
        const [x] = batch(2, 10 + i, device);
        const got = await infer(x).data();
        const want = await (model(x) as Tensor).data();
        expect(maxRelDiff(got as Float32Array, want as Float32Array)).toBeLessThan(1e-6);
      }
      expect(infer.traceCount).toBe(1);
      const g = await infer.graph(model);
      expect(g.nodes.map((n) => n.op)).toContain('conv2d');
      expect(g.values.filter((v) => v.kind === 'param').map((v) => v.name)).toContain('conv1.weight');
    });

    it('a traced LeNet training step gives the eager parameters after 100 steps', async () => {
      setDefaultDevice(device);
      const eager = lenetStep(3);
      const traced = lenetStep(3);
      const step = trace(traced.step);
      for (let i = 0; i < 100; i++) {
        const [x, y] = batch(4, i, device);
        const le = await eager.step(x, y).data();
        const lt = await step(x, y).data();
        expect(Math.abs(le[0] - lt[0])).toBeLessThan(1e-5);
      }
      expect(step.traceCount).toBe(1);
      const pe = [...eager.model.parameters()];
      const pt = [...traced.model.parameters()];
      for (let i = 0; i < pe.length; i++) {
        expect(maxRelDiff((await pt[i].data()) as Float32Array, (await pe[i].data()) as Float32Array)).toBeLessThan(1e-5);
      }
    });
  });
}

describe('trace', () => {
  it('traces again when an input shape changes, and names the input with onShapeChange: error', async () => {
    setDefaultDevice('js');
    const w = new Parameter(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    const f = trace((x: Tensor) => F.relu(x.matmul(w)).sum(1));
    expect(await f(tensor([[1, -1]])).numpy()).toEqual([0]);
    expect(
      await f(
        tensor([
          [1, 1],
          [2, 0],
        ]),
      ).numpy(),
    ).toEqual([10, 6]);
    expect(await f(tensor([[0, 1]])).numpy()).toEqual([7]);
    expect(f.traceCount).toBe(2);
    const g = trace((x: Tensor) => x.mul(2), { onShapeChange: 'error' });
    g(tensor([1, 2]));
    expect(() => g(tensor([1, 2, 3]))).toThrow(/input args\[0\] was T\[2\]float32@js, now T\[3\]float32@js/);
  });

  it('reports data-dependent control flow', () => {
    setDefaultDevice('js');
    const f = trace((x: Tensor) => (x.sum().item() > 0 ? x : x.neg()));
    expect(() => f(tensor([1, 2]))).toThrow(TraceError);
    expect(() => f(tensor([1, 2]))).toThrow(/item|dataSync/);
    const r = trace((x: Tensor) => x.add(random.normal(0, 1, [2])));
    expect(() => r(tensor([1, 2]))).toThrow(/random\.normal/);
  });

  it('reads parameters afresh at each call, or freezes them with captureAsConst', async () => {
    setDefaultDevice('js');
    const w = new Parameter(tensor([2]));
    const live = trace((x: Tensor) => x.mul(w));
    const frozen = trace((x: Tensor) => x.mul(w), { captureAsConst: true });
    expect(await live(tensor([3])).numpy()).toEqual([6]);
    expect(await frozen(tensor([3])).numpy()).toEqual([6]);
    w._reset(tensor([5]));
    expect(await live(tensor([3])).numpy()).toEqual([15]);
    expect(await frozen(tensor([3])).numpy()).toEqual([6]);
    const gm = new GradManager().attach([w]);
    expect(() =>
      trace(
        (x: Tensor) => {
          gm.record();
          gm.backward(x.mul(w).sum());
          w._reset(w.sub(w.grad as Tensor));
        },
        { captureAsConst: true },
      )(tensor([1])),
    ).toThrow(/captureAsConst/);
  });

  it('checks its arguments', () => {
    expect(() => trace(3 as never)).toThrow(/argument 'fn' must be a function, got number/);
    expect(() => trace((x: Tensor) => x, { onShapeChange: 'x' as never })).toThrow(/onShapeChange/);
  });
});
