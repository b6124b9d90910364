/// <reference lib="dom" />
// The page of jit-browser.ts: the webgpu jit.trace rounds on the adapter navigator.gpu hands out.
import { getBackend, ready } from '@mge/core';
import { runJitWebgpu } from './jit-rounds.js';

(globalThis as Record<string, unknown>).runJit = async (batch: number, steps: number, rounds: number) => {
  await ready(['webgpu']);
  const adapter = (getBackend('webgpu') as unknown as { description: string }).description;
  return { adapter, userAgent: navigator.userAgent, ...(await runJitWebgpu(batch, steps, rounds)) };
};
(globalThis as Record<string, unknown>).jitReady = true;
