/**
 * Fused epilogues (Backend `Epilogue`): conv2d and matmul with bias and relu applied
 * before the result is stored, reached through fusedConv2d / fusedLinear and a relu
 * applied to their deferred result. Small shapes check gradients; larger ones reach
 * the backends' tiled, 1×1 and few-channel paths.
 */
import * as mge from '../../index.js';
import type { Case } from '../harness.js';
import { map, type Nd, nd, reshape, zip } from '../nd.js';
import { type ConvArgs, conv2d, matmul, pool2d } from '../reference-nn.js';

const relu = (a: Nd) => map(a, (v) => Math.max(v, 0));
const add = (a: Nd, b: Nd) => zip(a, b, (x, y) => x + y);
const perChannel = (b: Nd, o: number) => reshape(b, [1, o, 1, 1]);

interface ConvSpec {
  x: number[];
  w: number[];
  args?: ConvArgs;
  grad?: boolean;
}

const CONVS: ConvSpec[] = [
  { x: [2, 3, 6, 5], w: [4, 3, 3, 3], args: { padding: [1, 1] } },
  { x: [1, 4, 6, 6], w: [6, 2, 3, 3], args: { groups: 2, stride: [2, 2] } },
  { x: [2, 3, 4, 4], w: [5, 3, 1, 1] },
  { x: [2, 1, 9, 9], w: [3, 1, 5, 5] },
  // larger: tiled GEMM, 1×1 and few-input-channel paths; forward only
  { x: [3, 1, 32, 32], w: [6, 1, 5, 5], grad: false },
  { x: [2, 8, 12, 11], w: [16, 8, 3, 3], args: { padding: [1, 1] }, grad: false },
  { x: [2, 16, 9, 9], w: [24, 16, 1, 1], grad: false },
  { x: [4, 6, 14, 14], w: [16, 6, 5, 5], grad: false },
];

const LINEARS: { m: number; k: number; n: number; grad?: boolean }[] = [
  { m: 4, k: 6, n: 5 },
  { m: 1, k: 3, n: 1 },
  { m: 70, k: 130, n: 33, grad: false },
  { m: 64, k: 400, n: 120, grad: false },
];

const tol = (grad?: boolean) => (grad === false ? { rtol: 1e-4, atol: 5e-5 } : undefined);
const shapeText = (s: ConvSpec) => `x[${s.x}] w[${s.w}]${s.args ? ` ${JSON.stringify(s.args)}` : ''}`;

export function fusedCases(): Record<string, Case[]> {
  const conv: Case[] = [];
  for (const s of CONVS) {
    const o = s.w[0];
    const bias = { shape: [1, o, 1, 1] };
    conv.push(
      {
        name: `conv2d + bias ${shapeText(s)}`,
        inputs: [{ shape: s.x }, { shape: s.w }, bias],
        run: ([x, w, b]) => mge.fusedConv2d(x, w, b, s.args ?? {}),
        ref: ([x, w, b]) => add(conv2d(x, w, s.args), perChannel(b, o)),
        grad: s.grad ?? true,
        tolerance: tol(s.grad),
      },
      {
        name: `relu(conv2d + bias) ${shapeText(s)}`,
        inputs: [{ shape: s.x }, { shape: s.w }, bias],
        run: ([x, w, b]) => mge.relu(mge.fusedConv2d(x, w, b, s.args ?? {})),
        ref: ([x, w, b]) => relu(add(conv2d(x, w, s.args), perChannel(b, o))),
        grad: s.grad ?? true,
        tolerance: tol(s.grad),
      },
    );
  }
  conv.push(
    {
      name: "conv2d with activation 'relu' and no bias",
      inputs: [{ shape: [2, 3, 6, 5] }, { shape: [4, 3, 3, 3] }],
      run: ([x, w]) => mge.fusedConv2d(x, w, null, { padding: 1 }, 'relu'),
      ref: ([x, w]) => relu(conv2d(x, w, { padding: [1, 1] })),
      grad: true,
    },
    {
      name: 'conv2d + bias with a (O,) bias',
      inputs: [{ shape: [1, 2, 5, 5] }, { shape: [3, 2, 3, 3] }, { shape: [3] }],
      run: ([x, w, b]) => mge.relu(mge.fusedConv2d(x, w, b)),
      ref: ([x, w, b]) => relu(add(conv2d(x, w), perChannel(b, 3))),
      grad: true,
    },
    {
      name: 'the pre-activation is used after relu was fused into it',
      inputs: [{ shape: [2, 3, 5, 5] }, { shape: [4, 3, 3, 3] }, { shape: [1, 4, 1, 1] }],
      run: ([x, w, b]) => {
        const y = mge.fusedConv2d(x, w, b);
        const r = mge.relu(y);
        return mge.add(mge.mul(r, 2), y);
      },
      ref: ([x, w, b]) => {
        const y = add(conv2d(x, w), perChannel(b, 4));
        return add(
          map(relu(y), (v) => 2 * v),
          y,
        );
      },
      grad: true,
    },
    {
      name: 'hand-computed: bias then relu clamps negatives',
      inputs: [
        { shape: [1, 1, 2, 2], values: [1, -2, 3, -4] },
        { shape: [2, 1, 1, 1], values: [1, -1] },
        { shape: [1, 2, 1, 1], values: [0.5, 0.5] },
      ],
      run: ([x, w, b]) => mge.relu(mge.fusedConv2d(x, w, b)),
      expect: nd([1, 2, 2, 2], [1.5, 0, 3.5, 0, 0, 2.5, 0, 4.5]),
    },
  );

  // A max pool over the fused relu: its gradient kernel applies relu's mask too (maxPool2dSignBackward
  // where the backend has it), and relu's rule then passes the gradient on as it is.
  const reluPool = (x: Nd, w: Nd, b: Nd, o: number) => relu(add(conv2d(x, w), perChannel(b, o)));
  const pool: Case[] = [
    { x: [2, 1, 9, 9], w: [3, 1, 5, 5], k: 2 }, // 5×5 map: the uncovered last row and column
    { x: [1, 1, 12, 12], w: [2, 1, 3, 3], k: 2 }, // 10×10 map: four windows at a time, one overlapping group
    { x: [1, 2, 9, 9], w: [3, 2, 3, 3], k: 3, s: 2 }, // a generic window
  ].map(({ x, w, k, s }) => ({
    name: `maxPool2d(relu(conv2d + bias)) x[${x}] w[${w}] k=${k}${s ? ` s=${s}` : ''}`,
    inputs: [{ shape: x }, { shape: w }, { shape: [1, w[0], 1, 1] }],
    run: ([xt, wt, bt]) => mge.pool2dPrimitive('max', mge.relu(mge.fusedConv2d(xt, wt, bt)), k, s ?? k),
    ref: ([xv, wv, bv]) => pool2d('max', reluPool(xv, wv, bv, w[0]), [k, k], [s ?? k, s ?? k], [0, 0]),
    grad: true,
  }));
  pool.push({
    name: 'an attached relu output under a max pool gets the pool gradient itself, unmasked',
    inputs: [{ shape: [1, 1, 2, 4], values: [-1, -2, 3, 1, -3, -4, 2, 5] }],
    run: ([x]) => {
      const gm = new mge.GradManager().attach([x]);
      gm.record();
      const r = mge.relu(mge.fusedConv2d(x, mge.tensor([[[[1]]]], { device: x.device })));
      gm.attach([r]);
      gm.backward(mge.sum(mge.mul(mge.pool2dPrimitive('max', r, 2), 3)));
      return mge.concat([mge.reshape(r.grad as mge.Tensor, [8]), mge.reshape(x.grad as mge.Tensor, [8])]);
    },
    // r = [0 0 3 1; 0 0 2 5]: the first window's maximum is a 0 (its first cell), the second's is 5
    expect: nd([16], [3, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3]),
  });
  pool.push({
    name: 'maxPool2d(relu(conv2d + bias)) whose relu output is also used: the two gradients summed, masked once more',
    inputs: [{ shape: [2, 2, 8, 8] }, { shape: [3, 2, 3, 3] }, { shape: [1, 3, 1, 1] }],
    run: ([x, w, b]) => {
      const r = mge.relu(mge.fusedConv2d(x, w, b));
      return mge.add(mge.sum(mge.pool2dPrimitive('max', r, 2), [2, 3]), mge.sum(mge.mul(r, 0.5), [2, 3]));
    },
    ref: ([x, w, b]) => {
      const r = reluPool(x, w, b, 3);
      const p = pool2d('max', r, [2, 2], [2, 2], [0, 0]);
      const rows = (a: Nd, f: number) => {
        const [n, c] = a.shape;
        const per = a.data.length / (n * c);
        return nd(
          [n, c],
          Array.from({ length: n * c }, (_, i) => f * a.data.slice(i * per, (i + 1) * per).reduce((u, v) => u + v, 0)),
        );
      };
      return add(rows(p, 1), rows(r, 0.5));
    },
    grad: true,
  });

  const linear: Case[] = [];
  for (const { m, k, n, grad } of LINEARS) {
    const inputs = [{ shape: [m, k] }, { shape: [n, k] }, { shape: [n] }];
    const ref = ([x, w, b]: Nd[]) => add(matmul(x, w, false, true), reshape(b, [1, n]));
    linear.push(
      {
        name: `linear + bias x[${m},${k}] w[${n},${k}]`,
        inputs,
        run: ([x, w, b]) => mge.fusedLinear(x, w, b),
        ref,
        grad: grad ?? true,
        tolerance: tol(grad),
      },
      {
        name: `relu(linear + bias) x[${m},${k}] w[${n},${k}]`,
        inputs,
        run: ([x, w, b]) => mge.relu(mge.fusedLinear(x, w, b)),
        ref: (v) => relu(ref(v)),
        grad: grad ?? true,
        tolerance: tol(grad),
      },
    );
  }
  linear.push({
    name: "linear with activation 'relu' and no bias",
    inputs: [{ shape: [3, 4] }, { shape: [5, 4] }],
    run: ([x, w]) => mge.fusedLinear(x, w, null, 'relu'),
    ref: ([x, w]) => relu(matmul(x, w, false, true)),
    grad: true,
  });
  return { 'conv2d epilogue': conv, 'max pool over the fused relu': pool, 'matmul epilogue': linear };
}
