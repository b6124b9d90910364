// conv2d forward, backward-input and backward-filter GFLOP/s on LeNet's two layers
// and a 64-channel 3×3 layer, for our backends and the tfjs peers (NHWC, their layout).
// tfjs-backend-wasm has no Conv2DBackpropFilter, so its filter gradient is a forward
// convolution over transposed tensors (transposes included in the time).
// Then ResNet-18 (CIFAR, b32) and ResNet-50 (224², b1/b8) layers on `cpu` against PyTorch at the
// same thread count (bench/python/conv_peer.py), next to the measured FMA peak.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Backend, type Conv2dParams, getBackend } from '@mge/core';
import { cpuInfo, measureFmaPeak } from '@mge/kernels-cpu';
import { loadTf, useTf } from './peers.js';
import type { Report } from './report.js';
import { type MeasureOptions, measure, randomFloats } from './stats.js';

interface Layer {
  name: string;
  p: Conv2dParams;
}

function layer(name: string, n: number, c: number, hw: number, o: number, k: number, pad: number): Layer {
  const out = hw + 2 * pad - k + 1;
  return {
    name,
    p: { n, c, h: hw, w: hw, o, kh: k, kw: k, oh: out, ow: out, sh: 1, sw: 1, ph: pad, pw: pad, dh: 1, dw: 1, groups: 1 },
  };
}

export const LAYERS: Layer[] = [
  layer('lenet conv1 b64 1→6 5x5 32²', 64, 1, 32, 6, 5, 0),
  layer('lenet conv2 b64 6→16 5x5 14²', 64, 6, 14, 16, 5, 0),
  layer('conv 3x3 b8 64→64 32² pad1', 8, 64, 32, 64, 3, 1),
];

// name, batch, in channels, side, out channels, kernel, stride, padding.
type ResnetLayer = [string, number, number, number, number, number, number, number];
export const RESNET_LAYERS: ResnetLayer[] = [
  ['resnet18 3x3 64 @32² b32', 32, 64, 32, 64, 3, 1, 1],
  ['resnet18 3x3 128 @16² b32', 32, 128, 16, 128, 3, 1, 1],
  ['resnet18 3x3 256 @8² b32', 32, 256, 8, 256, 3, 1, 1],
  ['resnet18 3x3 512 @4² b32', 32, 512, 4, 512, 3, 1, 1],
  ['resnet18 3x3 s2 64→128 @32² b32', 32, 64, 32, 128, 3, 2, 1],
  ['resnet18 1x1 s2 64→128 @32² b32', 32, 64, 32, 128, 1, 2, 0],
  ['conv 3x3 64→64 @56² b8', 8, 64, 56, 64, 3, 1, 1],
  ['conv 1x1 256→64 @56² b8', 8, 256, 56, 64, 1, 1, 0],
  ['resnet50 1x1 64→256 @56² b1', 1, 64, 56, 256, 1, 1, 0],
  ['resnet50 3x3 128 @28² b1', 1, 128, 28, 128, 3, 1, 1],
  ['resnet50 3x3 128 @28² b8', 8, 128, 28, 128, 3, 1, 1],
  ['resnet50 3x3 256 @14² b1', 1, 256, 14, 256, 3, 1, 1],
  ['resnet50 1x1 1024→256 @14² b1', 1, 1024, 14, 256, 1, 1, 0],
  ['resnet50 7x7 s2 stem @224² b1', 1, 3, 224, 64, 7, 2, 3],
];

const CONV_PEER = join(dirname(dirname(fileURLToPath(import.meta.url))), 'python', 'conv_peer.py');
const PASSES = ['fwd', 'bwd-input', 'bwd-filter'] as const;

async function benchResnetConvs(report: Report, quick: boolean): Promise<void> {
  const be: Backend = getBackend('cpu');
  const { threads, isa } = cpuInfo();
  const peak = measureFmaPeak();
  report.note(
    `ResNet conv rows: cpu ${isa}, ${threads} thread(s); measured FMA peak ${peak.toFixed(0)} GFLOP/s per thread (${(peak * threads).toFixed(0)} for ${threads}); PyTorch at ${threads} thread(s)`,
  );
  const opts: MeasureOptions = { warmup: 1, minRuns: 5, minTimeMs: quick ? 300 : 1000 };
  const ours = new Map<string, number[]>();
  for (const [name, n, c, side, o, k, s, pad] of RESNET_LAYERS) {
    const { p, out, xr, wr, dyr } = squareConv(be, n, c, side, o, k, s, pad);
    const flops = 2 * n * o * c * k * k * out * out;
    const runs = [
      () => be.release(be.conv2d(xr, wr, p)),
      () => be.release(be.conv2dBackwardInput(dyr, wr, p)),
      () => be.release(be.conv2dBackwardFilter(xr, dyr, p)),
    ];
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = await measure(runs[i], opts);
      rates.push(flops / (t.medianMs * 1e6));
      report.add({
        group: 'conv2d resnet',
        workload: `${name} ${PASSES[i]}`,
        impl: 'mge cpu',
        timing: t,
        value: rates[i],
        unit: 'GFLOP/s',
      });
    }
    ours.set(name, rates);
    for (const r of [xr, wr, dyr]) be.release(r.buf);
  }
  if (!existsSync('/usr/bin/python3')) {
    report.note('ResNet conv rows: PyTorch peer skipped (/usr/bin/python3 is not installed)');
    return;
  }
  const r = spawnSync('/usr/bin/python3', [CONV_PEER, String(threads), JSON.stringify(RESNET_LAYERS), quick ? '0.3' : '1'], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    report.note(`ResNet conv rows: PyTorch peer skipped (${r.stderr.trim().split('\n').at(-1)})`);
    return;
  }
  const pt = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { torch: string; rows: Record<string, number[]> };
  for (const [name, n, c, side, o, k, s, pad] of RESNET_LAYERS) {
    const out = Math.floor((side + 2 * pad - k) / s) + 1;
    const flops = 2 * n * o * c * k * k * out * out;
    pt.rows[name]?.forEach((gf, i) => {
      const ms = flops / gf / 1e6;
      report.add({
        group: 'conv2d resnet',
        workload: `${name} ${PASSES[i]}`,
        impl: `pytorch ${pt.torch}`,
        timing: { medianMs: ms, minMs: ms, maxMs: ms, runs: 5 },
        value: gf,
        unit: 'GFLOP/s',
      });
    });
    const mine = ours.get(name);
    if (mine && pt.rows[name]) {
      const ratios = pt.rows[name].map((gf, i) => `${PASSES[i]} ${(mine[i] / gf).toFixed(2)}×`).join(', ');
      report.note(
        `${name}: ours/PyTorch ${ratios}; ours at ${mine.map((v) => ((100 * v) / (peak * threads)).toFixed(0)).join('/')} % of peak`,
      );
    }
  }
}

/** A square convolution layer's parameters and random operands (x, w, dy) on backend `be`. */
export function squareConv(be: Backend, n: number, c: number, side: number, o: number, k: number, s: number, pad: number) {
  const out = Math.floor((side + 2 * pad - k) / s) + 1;
  const p: Conv2dParams = {
    n,
    c,
    h: side,
    w: side,
    o,
    kh: k,
    kw: k,
    oh: out,
    ow: out,
    sh: s,
    sw: s,
    ph: pad,
    pw: pad,
    dh: 1,
    dw: 1,
    groups: 1,
  };
  const xr = { buf: be.upload(randomFloats(n * c * side * side, 1)), shape: [n, c, side, side], dtype: 'float32' as const };
  const wr = { buf: be.upload(randomFloats(o * c * k * k, 2)), shape: [o, c, k, k], dtype: 'float32' as const };
  const dyr = { buf: be.upload(randomFloats(n * o * out * out, 3)), shape: [n, o, out, out], dtype: 'float32' as const };
  return { p, out, xr, wr, dyr };
}

export async function benchConv(report: Report, quick: boolean): Promise<void> {
  await benchResnetConvs(report, quick);
  console.log('\nconv2d');
  for (const { name, p } of LAYERS) {
    const flops = 2 * p.n * p.o * p.oh * p.ow * p.c * p.kh * p.kw;
    const x = randomFloats(p.n * p.c * p.h * p.w, 1);
    const w = randomFloats(p.o * p.c * p.kh * p.kw, 2);
    const dy = randomFloats(p.n * p.o * p.oh * p.ow, 3);
    const add = (pass: string, impl: string, t: Awaited<ReturnType<typeof measure>>) =>
      report.add({ group: 'conv2d', workload: `${name} ${pass}`, impl, timing: t, value: flops / (t.medianMs * 1e6), unit: 'GFLOP/s' });

    for (const dev of ['cpu', 'js']) {
      const be: Backend = getBackend(dev);
      const opts: MeasureOptions =
        dev === 'js' ? { warmup: 1, minRuns: quick ? 1 : 3, minTimeMs: quick ? 0 : 1000 } : { minRuns: 10, minTimeMs: quick ? 200 : 1000 };
      const xr = { buf: be.upload(x), shape: [p.n, p.c, p.h, p.w], dtype: 'float32' as const };
      const wr = { buf: be.upload(w), shape: [p.o, p.c, p.kh, p.kw], dtype: 'float32' as const };
      const dyr = { buf: be.upload(dy), shape: [p.n, p.o, p.oh, p.ow], dtype: 'float32' as const };
      add('fwd', `mge ${dev}`, await measure(() => be.release(be.conv2d(xr, wr, p)), opts));
      add('bwd-input', `mge ${dev}`, await measure(() => be.release(be.conv2dBackwardInput(dyr, wr, p)), opts));
      add('bwd-filter', `mge ${dev}`, await measure(() => be.release(be.conv2dBackwardFilter(xr, dyr, p)), opts));
      for (const r of [xr, wr, dyr]) be.release(r.buf);
    }

    const tf = await loadTf();
    for (const bname of ['wasm', 'cpu'] as const) {
      if (!(await useTf(bname))) continue;
      const opts: MeasureOptions =
        bname === 'cpu'
          ? { warmup: 1, minRuns: quick ? 1 : 3, minTimeMs: quick ? 0 : 1000 }
          : { minRuns: 5, minTimeMs: quick ? 200 : 1000 };
      const pad = p.ph === 0 ? 'valid' : 'same';
      const tx = tf.tensor4d(x, [p.n, p.h, p.w, p.c]);
      const tw = tf.tensor4d(w, [p.kh, p.kw, p.c, p.o]);
      const tdy = tf.tensor4d(dy, [p.n, p.oh, p.ow, p.o]);
      const run = (f: () => import('@tensorflow/tfjs-core').Tensor) => () => {
        const r = tf.tidy(f);
        r.dataSync();
        r.dispose();
      };
      const impl = `tfjs-backend-${bname}`;
      add(
        'fwd',
        impl,
        await measure(
          run(() => tf.conv2d(tx, tw, 1, pad)),
          opts,
        ),
      );
      add(
        'bwd-input',
        impl,
        await measure(
          run(() => tf.conv2dTranspose(tdy, tw, [p.n, p.h, p.w, p.c], 1, pad)),
          opts,
        ),
      );
      const filterGrad =
        bname === 'cpu'
          ? () =>
              tf.engine().runKernel(
                'Conv2DBackpropFilter',
                { x: tx, dy: tdy },
                {
                  strides: [1, 1],
                  pad,
                  dataFormat: 'NHWC',
                  dimRoundingMode: undefined,
                  filterShape: [p.kh, p.kw, p.c, p.o],
                },
              ) as import('@tensorflow/tfjs-core').Tensor
          : () => {
              // dW[ky,kx,c,o] = Σ x[n,y+ky,x+kx,c]·dy[n,y,x,o]: a conv with batch c, channels n.
              const xt = tf.transpose(tx, [3, 1, 2, 0]);
              const dyt = tf.transpose(tdy, [1, 2, 0, 3]);
              return tf.transpose(tf.conv2d(xt as never, dyt as never, 1, pad), [1, 2, 0, 3]);
            };
      // tfjs-backend-cpu's Conv2DBackpropFilter is a naive loop (seconds even for LeNet's layers);
      // on the 64-channel layer it would take minutes, so it is only measured on the small ones.
      if (bname === 'cpu' && flops > 1e8) {
        report.note(`${impl} bwd-filter on '${name}' skipped (minutes per run)`);
      } else {
        add('bwd-filter', impl, await measure(run(filterGrad), opts));
      }
      tx.dispose();
      tw.dispose();
      tdy.dispose();
    }
  }
}
