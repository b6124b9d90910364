import '@mge/kernels-cpu';
import { getBackend, random, setDefaultDevice, type Tensor } from '@mge/core';
import * as F from '@mge/functional';
import { MobileNetV2, resnet18, resnet50, ShuffleNetV2 } from '@mge/models-zoo';
import * as M from '@mge/module';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { trace } from '../src/index.js';
import { expectTracedLeNetMatchesEager, maxRelDiff } from './helpers.js';

afterAll(() => setDefaultDevice('js'));

/** BatchNorm statistics and affine parameters away from their initial 0/1, as after training. */
function trained(model: M.Module): M.Module {
  for (const [name, t] of model.namedTensors()) {
    if (name.endsWith('runningMean')) t._reset(random.normal(0, 0.5, t.shape));
    else if (name.endsWith('runningVar')) t._reset(random.uniform(0.5, 2, t.shape));
    else if (t.ndim === 1 && name.endsWith('weight')) t._reset(random.normal(1, 0.3, t.shape));
    else if (t.ndim === 1 && name.endsWith('bias')) t._reset(random.normal(0, 0.3, t.shape));
  }
  return model.eval();
}

/**
 * Counts the cpu backend's calls by method from now until `restore` (install it before tracing:
 * a program binds the backend's methods when it is built).
 */
function spyCalls(): { counts: Map<string, number>; restore: () => void } {
  const backend = getBackend('cpu') as unknown as Record<string, (...a: unknown[]) => unknown>;
  const counts = new Map<string, number>();
  const methods = ['conv2d', 'conv2dEpilogue', 'prepackConv2d', 'unary', 'binary'];
  for (const m of methods) {
    const fn = backend[m];
    backend[m] = (...a: unknown[]) => {
      const r = fn.apply(backend, a);
      const key = r === null ? `${m}:null` : m;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return r;
    };
  }
  const restore = () => {
    for (const m of methods) delete backend[m];
  };
  return { counts, restore };
}

const SH = [4, 8, 16, 32, 16];
const MB: [number, number, number, number][] = [
  [1, 8, 1, 1],
  [6, 8, 2, 2],
  [6, 16, 1, 2],
];
const models: [string, () => M.Module, number[]][] = [
  ['MobileNetV2', () => new MobileNetV2({ settings: MB, inputChannel: 8, lastChannel: 16, numClasses: 5, dropout: 0 }), [2, 3, 16, 16]],
  ['ShuffleNetV2', () => new ShuffleNetV2({ stageOutChannels: SH, stageRepeats: [2, 2, 1], numClasses: 5 }), [2, 3, 32, 32]],
  ['ResNet-18 (CIFAR stem)', () => resnet18({ stem: 'cifar', width: 2, numClasses: 5 }), [2, 3, 8, 8]],
  ['ResNet-50', () => resnet50({ width: 2, numClasses: 5 }), [1, 3, 32, 32]],
];

for (const device of ['js', 'cpu']) {
  describe(`optimizeForInference on ${device}: the zoo's networks`, () => {
    afterEach(() => setDefaultDevice('js'));
    it.each(models)('%s: traced outputs equal the eager ones (1e-5)', async (_name, create, shape) => {
      setDefaultDevice(device);
      random.seed(3);
      const model = trained(create());
      const eager = (x: Tensor) => model(x) as Tensor;
      const fast = trace(eager, { captureAsConst: true, optimizeForInference: true });
      for (let i = 0; i < 4; i++) {
        const x = random.normal(0, 1, shape);
        const got = (await fast(x).data()) as Float32Array;
        const want = (await eager(x).data()) as Float32Array;
        expect(maxRelDiff(got, want)).toBeLessThan(1e-5);
      }
    });
  });
}

describe('optimizeForInference on cpu: convolution epilogues', () => {
  afterEach(() => setDefaultDevice('js'));

  it('MobileNetV2 replays as convolutions only: BatchNorm, ReLU6 and the residual adds are in their epilogues', async () => {
    setDefaultDevice('cpu');
    random.seed(4);
    const model = trained(new MobileNetV2({ settings: MB, inputChannel: 8, lastChannel: 16, numClasses: 5, dropout: 0 }));
    const { counts, restore } = spyCalls();
    const fast = trace((x: Tensor) => model(x) as Tensor, { captureAsConst: true, optimizeForInference: true });
    const x = random.normal(0, 1, [1, 3, 16, 16]);
    for (let i = 0; i < 3; i++) await fast(x).data();
    // the 8 1×1 convolutions' weights and the 3-channel stem's are packed once, when the trace
    // is lowered (the depthwise ones are not offered)
    expect(counts.get('prepackConv2d')).toBe(9);
    expect(counts.get('prepackConv2d:null')).toBe(4);
    counts.clear();
    await fast(x).data();
    restore();
    // stem, 2 + 2·3 + 3 inverted-residual convolutions and the last 1×1, all with their tail
    // (BatchNorm in their weights): the 2 project convolutions of the stride-2 blocks (no
    // shortcut) keep a bias-only epilogue, taken as conv2dEpilogue for their packed weight
    expect(counts.get('conv2dEpilogue')).toBe(13);
    expect(counts.get('conv2d')).toBeUndefined();
    expect(counts.get('prepackConv2d')).toBeUndefined();
    // the global average pool's division is the only elementwise kernel left
    expect((counts.get('binary') ?? 0) + (counts.get('unary') ?? 0)).toBe(1);
  });

  it.each([
    ['relu6', (x: Tensor) => F.relu6(x)],
    ['hardswish', (x: Tensor) => F.hswish(x)],
    ['relu', (x: Tensor) => F.relu(x)],
  ] as [string, (x: Tensor) => Tensor][])(
    'conv → BatchNorm → + shortcut → %s (dense, batched and depthwise) is one kernel each, equal to eager',
    async (_act, act) => {
      setDefaultDevice('cpu');
      random.seed(6);
      const dense = new M.Conv2d(6, 6, 3, { padding: 1, bias: false });
      const bn1 = new M.BatchNorm2d(6);
      const dw = new M.Conv2d(6, 6, 3, { padding: 1, groups: 6 });
      const bn2 = new M.BatchNorm2d(6);
      const net = new M.Sequential(dense, bn1, dw, bn2);
      trained(net);
      const f = (x: Tensor) => {
        const y = act(F.add(bn1(dense(x)) as Tensor, x));
        return act(F.add(bn2(dw(y)) as Tensor, y));
      };
      const { counts, restore } = spyCalls();
      const fast = trace(f, { captureAsConst: true, optimizeForInference: true });
      for (const n of [1, 4]) {
        for (let i = 0; i < 3; i++) {
          const x = random.normal(0, 2, [n, 6, 7, 7]);
          const got = (await fast(x).data()) as Float32Array;
          const want = (await f(x).data()) as Float32Array;
          expect(maxRelDiff(got, want)).toBeLessThan(1e-5);
        }
        counts.clear();
        await fast(random.normal(0, 2, [n, 6, 7, 7])).data();
        expect(counts.get('conv2dEpilogue')).toBe(2);
        expect(counts.get('binary') ?? 0).toBe(0);
        expect(counts.get('unary') ?? 0).toBe(0);
      }
      restore();
    },
  );

  it('keeps a convolution output that the function returns (or reads twice) out of an epilogue', async () => {
    setDefaultDevice('cpu');
    random.seed(7);
    // 6 input channels on a 16² map: not one the backend packs (a stem or a small map), so no
    // packed weight turns it into conv2dEpilogue
    const conv = new M.Conv2d(6, 4, 3, { padding: 1 });
    const f = (x: Tensor) => {
      const y = conv(x) as Tensor;
      return [y, F.relu6(y)];
    };
    const { counts, restore } = spyCalls();
    const fast = trace(f, { captureAsConst: true, optimizeForInference: true });
    const x = random.normal(0, 1, [1, 6, 16, 16]);
    for (let i = 0; i < 3; i++) fast(x);
    counts.clear();
    const [y, r] = fast(x);
    restore();
    const [wy, wr] = f(x);
    expect(maxRelDiff((await y.data()) as Float32Array, (await wy.data()) as Float32Array)).toBe(0);
    expect(maxRelDiff((await r.data()) as Float32Array, (await wr.data()) as Float32Array)).toBe(0);
    expect(counts.get('conv2dEpilogue') ?? 0).toBe(0);
    expect(counts.get('conv2d')).toBe(1);
  });
});

describe('elementwise chains on cpu', () => {
  afterEach(() => setDefaultDevice('js'));

  it('run as one native program (symbolic), with the values of the operators one by one', async () => {
    setDefaultDevice('cpu');
    random.seed(8);
    const w = random.normal(0, 1, [1, 3, 1, 1]);
    const { counts, restore } = spyCalls();
    const f = (x: Tensor, b: Tensor) => F.sigmoid(x.mul(w).add(b).exp().mul(0.25).sub(1)).mul(x);
    const fast = trace(f, { symbolic: true });
    const b = random.normal(0, 1, [2, 3, 40, 40]);
    for (let i = 0; i < 3; i++) await fast(random.normal(0, 1, [2, 3, 40, 40]), b).data();
    counts.clear();
    const x = random.normal(0, 1, [2, 3, 40, 40]);
    const got = (await fast(x, b).data()) as Float32Array;
    restore();
    // the chain's x·w reads w broadcast per channel: it stays a kernel of its own, the rest is one program
    expect(counts.get('binary')).toBe(1);
    expect(counts.get('unary') ?? 0).toBe(0);
    expect(fast.stats?.fusedLoops).toBe(1);
    expect(maxRelDiff(got, (await f(x, b).data()) as Float32Array)).toBeLessThan(1e-6);
  });
});

describe('a traced training step on cpu with its elementwise chains fused (symbolic)', () => {
  afterEach(() => setDefaultDevice('js'));
  it('gives the eager parameters after 30 steps', async () => {
    setDefaultDevice('cpu');
    await expectTracedLeNetMatchesEager('cpu', 30, 4, true);
  });
});
