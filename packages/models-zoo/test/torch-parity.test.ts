/**
 * Every zoo family against the same network in PyTorch 1.13 (fixtures from
 * fixtures/make_fixtures.py): weights copied through the state dict, eval forward,
 * training forward, the gradient of every parameter and BN's running statistics.
 */
import { ready, resetDefaultDevice, setDefaultDevice } from '@mge/core';
import '@mge/kernels-cpu';
import { afterAll, describe, it } from 'vitest';
import { checkAgainstTorch, FIXTURES, readFixture } from './golden.js';

await ready();

/**
 * Batch 2 at these tiny sizes normalises over few values per channel (ResNet-50 at width 1: 2 in
 * layer4), which amplifies float32 rounding in the gradients: the worst gradient element is
 * within 0.3 % (1 % for ResNet-50) of PyTorch's, relative to the tensor's largest value.
 */
export const TOLERANCE: Record<string, number> = { 'resnet50-tiny': 1e-2 };

afterAll(() => resetDefaultDevice());

for (const device of ['js', 'cpu']) {
  describe(`zoo models against PyTorch on ${device}`, () => {
    for (const name of FIXTURES) {
      it(name, async () => {
        setDefaultDevice(device);
        await checkAgainstTorch(readFixture(name), TOLERANCE[name] ?? 3e-3);
      });
    }
  });
}
