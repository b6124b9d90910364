/**
 * SyncBatchNorm: in a world of one it is BatchNorm2d; on 2 ranks × batch 4 it trains a conv net
 * to the parameters and running statistics of one process on the batches of 8 (≤ 1e-6).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GradManager, random, sum, tensor } from '@mge/core';
import * as M from '@mge/module';
import { describe, expect, it } from 'vitest';
import { convertSyncBatchNorm, SyncBatchNorm } from '../src/index.js';
import { mpirun, nodeScript } from './mpirun.js';

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('SyncBatchNorm', () => {
  it('is BatchNorm2d in a world of one: output, gradients, running statistics', () => {
    random.seed(1);
    const x = random.normal(2, 3, [3, 2, 4, 5]);
    const sync = new SyncBatchNorm(2);
    const plain = new M.BatchNorm2d(2);
    const w = tensor([1.5, -0.5]);
    for (const m of [sync, plain]) m.weight?._reset(w);
    const run = (m: M.BatchNorm2d) => {
      const gm = new GradManager().attach([x, ...m.parameters()]);
      gm.record();
      const y = m(x);
      gm.backward(sum(y.mul(y).mul(tensor([[[[1]], [[2]]]]))));
      const out = { y: y.dataSync(), dx: x.grad!.dataSync(), dw: m.weight!.grad!.dataSync(), rv: m.runningVar!.dataSync() };
      x.grad = null;
      return out;
    };
    const a = run(sync);
    const b = run(plain);
    expect(maxDiff(a.y, b.y)).toBeLessThan(1e-5);
    expect(maxDiff(a.dx, b.dx)).toBeLessThan(1e-4);
    expect(maxDiff(a.dw, b.dw)).toBeLessThan(1e-4);
    expect(maxDiff(a.rv, b.rv)).toBeLessThan(1e-5);
    expect(Array.from(b.rv).some((v) => Math.abs(v - 1) > 0.1)).toBe(true); // the statistics did move
  });

  it('convertSyncBatchNorm swaps every BatchNorm2d for one over the same tensors', () => {
    const bn = new M.BatchNorm2d(3, { eps: 1e-3, momentum: 0.8 });
    const seq = new M.Sequential(new M.Conv2d(1, 3, 3), bn, new M.ReLU());
    const before = [...seq.tensors()];
    const out = convertSyncBatchNorm(seq);
    expect(out).toBe(seq);
    const sync = seq.layers[1] as SyncBatchNorm;
    expect(sync).toBeInstanceOf(SyncBatchNorm);
    expect([sync.eps, sync.momentum, sync.numFeatures]).toEqual([1e-3, 0.8, 3]);
    expect([...seq.tensors()]).toEqual(before); // the same Parameter and running-statistic objects
    expect(convertSyncBatchNorm(new M.BatchNorm2d(2))).toBeInstanceOf(SyncBatchNorm);
    expect(() => convertSyncBatchNorm(42 as never)).toThrow(/convertSyncBatchNorm: argument 'module' must be a Module, got number/);
  });

  it('2 ranks × batch 4 train like one process × batch 8 (≤ 1e-6), running statistics included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mge-syncbn-'));
    try {
      const ddp = mpirun('syncbn.ts', ['ddp', dir]);
      expect(ddp.stderr).not.toMatch(/uncaught/);
      expect(ddp.status).toBe(0);
      const single = nodeScript('syncbn.ts', ['single', dir]);
      expect(single.stderr).toBe('');
      expect(single.status).toBe(0);
      const read = (f: string) => {
        const b = readFileSync(join(dir, f));
        return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
      };
      const [r0, r1, one] = ['syncbn-0.bin', 'syncbn-1.bin', 'syncbn-single.bin'].map(read);
      expect(r0.length).toBe(706); // conv 40 + bn 8 + fc 650 + running mean/var 8
      expect(maxDiff(r0, r1)).toBe(0);
      expect(maxDiff(r0, one)).toBeLessThanOrEqual(1e-6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ResNet-18 converted to SyncBatchNorm: 2 ranks × batch 2 train like one process × batch 4 (≤ 1e-6)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mge-syncbn-'));
    try {
      const ddp = mpirun('resnet.ts', ['ddp', dir]);
      expect(ddp.stderr).not.toMatch(/uncaught/);
      expect(ddp.status).toBe(0);
      expect(ddp.stdout).toContain('rank 0: 20 SyncBatchNorm layers, 20 steps');
      const single = nodeScript('resnet.ts', ['single', dir]);
      expect(single.stderr).toBe('');
      expect(single.status).toBe(0);
      const read = (f: string) => {
        const b = readFileSync(join(dir, f));
        return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
      };
      const [r0, r1, one, init] = ['resnet-0.bin', 'resnet-1.bin', 'resnet-single.bin', 'resnet-init.bin'].map(read);
      expect(maxDiff(r0, r1)).toBe(0);
      expect(maxDiff(r0, one)).toBeLessThanOrEqual(1e-6);
      expect(maxDiff(one, init)).toBeGreaterThan(1e-2); // the 20 steps did move the weights and statistics
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
