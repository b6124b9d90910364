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

/** ResNet-50 at width 1 normalises layer4 over 2 values per channel: ill-conditioned, so float32 drifts more. */
export const TOLERANCE: Record<string, number> = { 'resnet50-tiny': 5e-3 };

afterAll(() => resetDefaultDevice());

for (const device of ['js', 'cpu']) {
  describe(`zoo models against PyTorch on ${device}`, () => {
    for (const name of FIXTURES) {
      it(name, async () => {
        setDefaultDevice(device);
        await checkAgainstTorch(readFixture(name), TOLERANCE[name] ?? 2e-3);
      });
    }
  });
}
