import '@mge/kernels-cpu';
import { GradManager, getBackend, Parameter, random, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { LeNet } from '@mge/models-zoo';
import * as M from '@mge/module';
import { afterAll, describe, expect, it } from 'vitest';
import { TraceError, trace } from '../src/index.js';
import { batch, expectAdamStepCountReported, expectTracedLeNetMatchesEager, lenetStep, maxRelDiff } from './helpers.js';

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
      // js: fused elementwise loops (symbolic); cpu: the recorded kernels one by one
      await expectTracedLeNetMatchesEager(device, 100, device === 'js' ? 2 : 4, device === 'js');
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

  it("reads a parameter's current value through a reshape made inside the function", async () => {
    setDefaultDevice('js');
    const w = new Parameter(tensor([1, 2]));
    const f = trace((x: Tensor) => x.mul(w.reshape([2, 1])).sum(1));
    const x = tensor([[1], [1]]);
    for (let i = 0; i < 3; i++) f(x);
    w.setValue(tensor([3, 5])); // an optimizer step outside the traced function
    expect(await f(x).numpy()).toEqual([3, 5]);
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

  it('rebuilds nested results, passes inputs and outside tensors through, and keeps non-tensor arguments in the signature', async () => {
    setDefaultDevice('js');
    const w = new Parameter(tensor([1, 2]));
    const f = trace((o: { x: Tensor; k: number }) => ({ y: [o.x.mul(o.k).add(w)], x: o.x, w, note: 'kept' }));
    const a = tensor([1, 1]);
    f({ x: a, k: 2 });
    const b = tensor([3, 4]);
    const r = f({ x: b, k: 2 });
    expect(await r.y[0].numpy()).toEqual([7, 10]);
    expect(r.x).toBe(b);
    expect(r.w).toBe(w);
    expect(r.note).toBe('kept');
    expect(await f({ x: b, k: 3 }).y[0].numpy()).toEqual([10, 14]);
    expect(f.traceCount).toBe(2);
    // objects (a Module) are told apart by identity, not serialised
    random.seed(2);
    const [m1, m2] = [new LeNet(), new LeNet()];
    const run = trace((m: LeNet, x: Tensor) => m(x) as Tensor);
    const [x] = batch(1, 3, 'js');
    run(m1, x);
    run(m2, x);
    expect(run.traceCount).toBe(2);
  });

  it("records a training step's parameter updates in the graph", async () => {
    setDefaultDevice('js');
    const { model, step } = lenetStep(4);
    const traced = trace(step);
    traced(...batch(2, 1, 'js'));
    const g = await traced.graph(model);
    const targets = new Set((g.updates ?? []).map((u) => g.values[u.target].name));
    for (const [name] of model.namedParameters()) expect(targets).toContain(name);
    expect(g.nodes.some((n) => n.kernel === 'conv2dBackwardFilter')).toBe(true);
  });

  it('keeps memory flat over replays: every intermediate buffer goes back to its backend', async () => {
    for (const device of ['js', 'cpu']) {
      setDefaultDevice(device);
      const { step } = lenetStep(6);
      const traced = trace(step);
      const [x, y] = batch(2, 1, device);
      const live: number[] = [];
      for (let i = 0; i < 6; i++) {
        traced(x, y).dispose();
        live.push(getBackend(device).memory().liveBuffers);
      }
      expect(live[5]).toBe(live[2]);
    }
  });

  it('leaves the gradients of a step without clearGrad on the parameters, and flattens a trace called inside a trace', async () => {
    setDefaultDevice('js');
    const w = new Parameter(tensor([1, 2]));
    const gm = new GradManager().attach([w]);
    const square = trace((x: Tensor) => x.mul(x));
    const f = trace((x: Tensor) => {
      gm.record();
      gm.backward(square(x.mul(w)).sum());
    });
    f(tensor([1, 1]));
    expect(await w.grad?.numpy()).toEqual([2, 4]);
    w.grad = null;
    f(tensor([3, 1]));
    expect(await (w.grad as Tensor | null)?.numpy()).toEqual([18, 4]);
    expect(square.traceCount).toBe(0);
  });

  it('reports host numbers that change between calls (an Adam step count) at the second call', async () => {
    setDefaultDevice('js');
    expectAdamStepCountReported();
    let k = 0;
    const g = trace((x: Tensor) => (++k % 2 ? x.add(1) : x.mul(2)));
    g(tensor([1]));
    expect(() => g(tensor([1]))).toThrow(/step 0 ran 'add' on the first call and 'mul' on the second/);
    const unchecked = trace((x: Tensor) => x.add(++k), { verify: false });
    unchecked(tensor([1]));
    expect(await unchecked(tensor([1])).numpy()).toEqual([1 + k]); // frozen at the first call's k
  });

  it('checks its arguments', () => {
    expect(() => trace(3 as never)).toThrow(/argument 'fn' must be a function, got number/);
    expect(() => trace((x: Tensor) => x, { onShapeChange: 'x' as never })).toThrow(/onShapeChange/);
  });
});

describe('symbolic', () => {
  it('fuses elementwise chains on js into one loop with the values of the operators one by one', async () => {
    setDefaultDevice('js');
    const w = new Parameter(tensor([0.5, -1, 2]));
    const f = (x: Tensor, b: Tensor) => F.sigmoid(x.mul(w).add(b).exp().mul(0.25).sub(1)).mul(x).matmul(x.reshape(3, 1));
    const fast = trace(f, { symbolic: true });
    const x = tensor([[1, -2, 0.5]]);
    const b = tensor([[0.1, 0.2, -0.3]]);
    fast(x, b);
    const x2 = tensor([[0.3, 1.5, -0.7]]);
    expect(await fast(x2, b).numpy()).toEqual(await f(x2, b).numpy());
    expect(fast.stats?.fusedLoops).toBe(1);
  });
});

describe('optimizeForInference', () => {
  it('folds an inference BatchNorm and the relu into the convolution, with the eager outputs', async () => {
    setDefaultDevice('cpu');
    random.seed(5);
    const conv = new M.Conv2d(3, 4, 3, { padding: 1, bias: false });
    const bn = new M.BatchNorm2d(4);
    const conv2 = new M.Conv2d(4, 2, 3);
    // statistics and affine parameters away from their initial 0/1, as after training
    bn.runningMean!._reset(random.normal(0, 1, bn.runningMean!.shape));
    bn.runningVar!._reset(random.uniform(0.5, 2, bn.runningVar!.shape));
    bn.weight!._reset(random.normal(1, 0.5, bn.weight!.shape));
    bn.bias!._reset(random.normal(0, 1, bn.bias!.shape));
    bn.eval();
    const net = (x: Tensor) => conv2(F.relu(bn(conv(x)) as Tensor)) as Tensor;
    const fast = trace(net, { captureAsConst: true, optimizeForInference: true });
    const x = random.normal(0, 1, [2, 3, 6, 6]);
    fast(x);
    const x2 = random.normal(0, 1, [2, 3, 6, 6]);
    const got = (await fast(x2).data()) as Float32Array;
    const want = (await net(x2).data()) as Float32Array;
    expect(maxRelDiff(got, want)).toBeLessThan(1e-5);
    const g = await fast.graph();
    expect(g.nodes.map((n) => n.op).filter((op) => op !== 'reshape')).toEqual(['conv2d', 'conv2d']);
    expect(g.nodes.find((n) => n.op === 'conv2d')?.attrs.activation).toBe('relu');
    expect(() => trace(net, { optimizeForInference: true })).toThrow(/needs captureAsConst/);
  });
});
