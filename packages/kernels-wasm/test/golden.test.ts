// The functional package's PyTorch 1.13 golden tests (every fixture, forward and gradient,
// and LeNet's loss and parameter gradients) run again with `wasm` as the default device.
import { getBackend, ready, setDefaultDevice } from '@mge/core';
import { expect, it } from 'vitest';
import '../src/index.js';

await ready();
setDefaultDevice('wasm');

it('runs the goldens on the wasm backend', () => {
  expect(getBackend('wasm').name).toBe('wasm');
});

await import('../../functional/test/golden.test.js');
