/// <reference lib="webworker" />
import { getBackend, ready } from '@mge/core';
import '../../src/index.js';
import { lenetStep } from '../lenet-step.js';

// One LeNet step on the registry's webgpu device inside a Worker; the page compares it with js.
self.onmessage = async (e: MessageEvent<number>) => {
  try {
    await ready();
    const adapter = (getBackend('webgpu') as unknown as { description: string }).description;
    const step = await lenetStep('webgpu', e.data);
    self.postMessage({ adapter, step });
  } catch (err) {
    self.postMessage({ error: String((err as Error)?.stack ?? err) });
  }
};
