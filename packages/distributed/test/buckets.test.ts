/** makeAllreduceCb's buckets and overlap on 2 ranks (test/ranks/buckets.ts). */
import { describe, expect, it } from 'vitest';
import { mpirun } from './mpirun.js';

describe('bucketed all-reduce overlapped with backward', () => {
  it('gives exactly the per-tensor allReduceMean gradients for every bucket size, with and without overlap', () => {
    const r = mpirun('buckets.ts');
    expect(r.stderr).not.toMatch(/uncaught|Error/);
    expect(r.status).toBe(0);
    for (const rank of [0, 1]) {
      // LeNet's 61706 float32 gradients (247 KB) fit one 4 MiB bucket, started at the end of backward
      expect(r.stdout).toContain(`rank ${rank}: default (4 MiB, overlap): equal; 1 buckets/step, 0 started during backward, 0 in place`);
      // 16 KiB = 4096 floats; LeNet's gradients in the order they become ready fill the buckets
      // [classifier, fc2.bias: 934] [fc2.weight: 10 080] [fc1.bias: 120] [fc1.weight: 48 000], each started
      // in a callback while backward goes on, and [conv2, conv1: 2572], started at the end
      // (fc2.weight and fc1.weight fill a bucket alone: all-reduced in place in their own buffers)
      expect(r.stdout).toContain(`rank ${rank}: 16 KiB buckets, overlap: equal; 5 buckets/step, 4 started during backward, 2 in place`);
      // with one message per gradient, even the first layer's starts in its callback
      expect(r.stdout).toContain(`rank ${rank}: one message per gradient: equal; 10 buckets/step, 10 started during backward, 10 in place`);
      expect(r.stdout).toContain(`rank ${rank}: 16 KiB buckets, no overlap: equal; 5 buckets/step, 0 started during backward`);
      expect(r.stdout).toContain(`rank ${rank}: sum, 16 KiB buckets: equal`);
      // each of LeNet's 10 gradients is its own tensor's buffer: all-reduced there, without a copy
      expect(r.stdout).toContain(
        `rank ${rank}: in place (4-byte buckets), no overlap: equal; 10 buckets/step, 0 started during backward, 10 in place`,
      );
    }
  });
});
