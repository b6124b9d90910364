/**
 * Tests that are not one operator against a reference: memory (allocate, upload,
 * read, release), reads, moving between devices, and autograd details.
 */
import * as mge from '../../index.js';
import type { Tensor } from '../../tensor.js';
import { assertClose, type RunOptions } from '../harness.js';
import { nd } from '../nd.js';

export interface Special {
  name: string;
  test: (o: RunOptions) => Promise<void>;
}

function fail(msg: string): never {
  throw new Error(msg);
}

async function expectValues(what: string, t: Tensor, want: number[], shape: number[], dtype: mge.DType, o: RunOptions): Promise<void> {
  assertClose(what, await t.data(), t.shape, nd(shape, want, dtype), o.tolerance, t.dtype);
}

function live(device: string): { liveBuffers: number; liveBytes: number } {
  const m = mge.memory()[device];
  if (!m) fail(`memory() has no entry for device '${device}'`);
  return m;
}

export const memorySpecials: Special[] = [
  {
    name: 'zeros of each dtype are zero-filled (allocate)',
    test: async (o) => {
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        await expectValues(`zeros ${dtype}`, mge.zeros([2, 3], { dtype, device: o.device }), [0, 0, 0, 0, 0, 0], [2, 3], dtype, o);
      }
    },
  },
  {
    name: 'upload and read round-trip exact values of each dtype',
    test: async (o) => {
      const f = [0, -0, 1.5, -3.25e-8, 3.4e38, Infinity, -Infinity, NaN];
      await expectValues('float32', mge.tensor(Float32Array.from(f), { device: o.device }), f.map(Math.fround), [8], 'float32', {
        ...o,
        tolerance: { rtol: 0, atol: 0 },
      });
      const i = [0, -1, 2147483647, -2147483648, 123456789];
      await expectValues('int32', mge.tensor(Int32Array.from(i), { device: o.device }), i, [5], 'int32', o);
      await expectValues(
        'bool',
        mge.tensor(
          [
            [true, false],
            [false, true],
          ],
          { device: o.device },
        ),
        [1, 0, 0, 1],
        [2, 2],
        'bool',
        o,
      );
    },
  },
  {
    name: 'full, ones, arange, eye, linspace on the device',
    test: async (o) => {
      const d = { device: o.device };
      await expectValues('full', mge.full([2], 7, { ...d, dtype: 'int32' }), [7, 7], [2], 'int32', o);
      await expectValues('ones', mge.ones([3], d), [1, 1, 1], [3], 'float32', o);
      await expectValues('arange', mge.arange(1, 2, 0.25, d), [1, 1.25, 1.5, 1.75], [4], 'float32', o);
      await expectValues('eye', mge.eye(2, 3, d), [1, 0, 0, 0, 1, 0], [2, 3], 'float32', o);
      await expectValues('linspace', mge.linspace(0, 1, 5, d), [0, 0.25, 0.5, 0.75, 1], [5], 'float32', o);
    },
  },
  {
    name: 'dispose releases the tensor’s buffer; a reshape shares it',
    test: async (o) => {
      // measured without awaiting: finalizers of earlier garbage only run between tasks
      const before = live(o.device);
      const a = mge.zeros([10, 10], { device: o.device });
      const b = a.reshape(100);
      const mid = live(o.device);
      if (mid.liveBuffers !== before.liveBuffers + 1)
        fail(`a tensor and its reshape should hold 1 buffer, got ${mid.liveBuffers - before.liveBuffers}`);
      // a backend may round buffers up for alignment, never down
      if (mid.liveBytes - before.liveBytes < 400)
        fail(`a [10,10] float32 tensor should hold at least 400 bytes, got ${mid.liveBytes - before.liveBytes}`);
      a.dispose();
      if (live(o.device).liveBuffers !== mid.liveBuffers) fail('disposing a tensor freed the buffer its reshape still uses');
      b.dispose();
      const after = live(o.device);
      if (after.liveBuffers !== before.liveBuffers || after.liveBytes !== before.liveBytes) {
        fail(
          `after dispose: ${after.liveBuffers} buffers / ${after.liveBytes} bytes, expected ${before.liveBuffers} / ${before.liveBytes}`,
        );
      }
      const c = mge.ones([3], { device: o.device });
      const d = c.reshape(1, 3);
      c.dispose();
      await expectValues('reshape after its source was disposed', d, [1, 1, 1], [1, 3], 'float32', o);
      d.dispose();
      let msg = '';
      try {
        await d.data();
      } catch (e) {
        msg = String(e);
      }
      if (!/dispose/.test(msg)) fail(`reading a disposed tensor should throw an error mentioning dispose(), got '${msg}'`);
    },
  },
  {
    name: 'tidy disposes intermediates and keeps the result',
    test: async (o) => {
      const before = live(o.device).liveBuffers;
      const x = mge.ones([4], { device: o.device });
      const y = mge.tidy(() => mge.mul(mge.add(x, x), mge.exp(x)));
      if (live(o.device).liveBuffers !== before + 2)
        fail(`tidy should leave x and the result, got ${live(o.device).liveBuffers - before} buffers`);
      await expectValues('tidy result', y, Array(4).fill(2 * Math.E), [4], 'float32', o);
      x.dispose();
      y.dispose();
    },
  },
  {
    name: 'numpy() nests values; itemAsync() reads one element',
    test: async (o) => {
      const t = mge.tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { device: o.device, dtype: 'int32' },
      );
      const n = JSON.stringify(await t.numpy());
      if (n !== '[[1,2],[3,4]]') fail(`numpy() gave ${n}`);
      const b = JSON.stringify(await mge.tensor([true, false], { device: o.device }).numpy());
      if (b !== '[true,false]') fail(`numpy() of bool gave ${b}`);
      const v = await mge.sum(t).itemAsync();
      if (v !== 10) fail(`itemAsync gave ${v}`);
    },
  },
  {
    name: 'dataSync agrees with data where the backend reads synchronously',
    test: async (o) => {
      const t = mge.exp(mge.arange(6, undefined, 1, { device: o.device }));
      const a = await t.data();
      let sync: ArrayLike<number> | null = null;
      try {
        sync = t.dataSync();
      } catch (e) {
        if (!/await t\.data\(\)/.test(String(e)))
          fail(`dataSync on a device without synchronous reads should point to 'await t.data()', got ${String(e)}`);
        return;
      }
      if (sync.length !== a.length || Array.from(sync).some((v, i) => v !== a[i])) fail('dataSync and data disagree');
    },
  },
  {
    name: 'toAsync moves values to js and back; mixing devices names both',
    test: async (o) => {
      const t = mge.arange(5, undefined, 1, { device: o.device });
      const onJs = await t.toAsync('js');
      if (onJs.device !== 'js') fail(`toAsync('js') gave device ${onJs.device}`);
      await expectValues('to js', onJs, [0, 1, 2, 3, 4], [5], 'float32', o);
      const back = await onJs.toAsync(o.device);
      if (back.device !== o.device) fail(`toAsync('${o.device}') gave device ${back.device}`);
      await expectValues('back', mge.add(back, 1), [1, 2, 3, 4, 5], [5], 'float32', o);
      if (o.device === 'js') return;
      let msg = '';
      try {
        mge.add(t, onJs);
      } catch (e) {
        msg = String(e);
      }
      if (!msg.includes(`'${o.device}'`) || !msg.includes("'js'")) fail(`an op on two devices should name both, got '${msg}'`);
    },
  },
];

export const autogradSpecials: Special[] = [
  {
    name: 'detach stops the gradient (d/dx of x·detach(x) is x)',
    test: async (o) => {
      const x = mge.tensor([1, -2, 0.5], { device: o.device });
      const gm = new mge.GradManager().attach(x);
      gm.record();
      gm.backward(mge.sum(mge.mul(x, x.detach())));
      await expectValues('grad', x.grad ?? fail('no gradient'), [1, -2, 0.5], [3], 'float32', o);
    },
  },
  {
    name: 'dy defaults to ones and gradients accumulate on the device',
    test: async (o) => {
      const x = mge.tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { device: o.device },
      );
      const gm = new mge.GradManager().attach([x]);
      for (let i = 0; i < 2; i++) {
        gm.record();
        gm.backward(mge.mul(x, x));
      }
      const g = x.grad ?? fail('no gradient');
      if (g.device !== o.device) fail(`gradient on ${g.device}`);
      await expectValues('accumulated grad', g, [4, 8, 12, 16], [2, 2], 'float32', o);
    },
  },
  {
    name: 'max and maxPool route the gradient of ties consistently with their definitions',
    test: async (o) => {
      // max reduction: every tied maximum gets the gradient (core's rule)
      const x = mge.tensor([1, 3, 3, 2], { device: o.device });
      const gm = new mge.GradManager().attach(x);
      gm.record();
      gm.backward(mge.max(x));
      await expectValues('max tie grad', x.grad ?? fail('no gradient'), [0, 1, 1, 0], [4], 'float32', o);
      // max pool: the first maximum of the window in row-major order (the Backend contract)
      const p = mge.tensor(
        [
          [
            [
              [5, 5],
              [5, 1],
            ],
          ],
        ],
        { device: o.device },
      );
      const gp = new mge.GradManager().attach(p);
      gp.record();
      gp.backward(mge.pool2dPrimitive('max', p, 2));
      await expectValues('maxPool tie grad', p.grad ?? fail('no gradient'), [1, 0, 0, 0], [1, 1, 2, 2], 'float32', o);
    },
  },
];
