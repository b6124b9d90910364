// TensorFlow.js backends as peers, in the same process. tfjs-core keeps one global
// engine, so a peer is chosen with setBackend before its measurements.
import * as tf from '@tensorflow/tfjs-core';
import { registerTfGradients } from './tfjs-gradients.js';

export type TfBackendName = 'cpu' | 'wasm';

let loaded = false;

export async function loadTf(): Promise<typeof tf> {
  if (!loaded) {
    await import('@tensorflow/tfjs-backend-cpu');
    await import('@tensorflow/tfjs-backend-wasm');
    await registerTfGradients(tf);
    loaded = true;
  }
  return tf;
}

/** Switches tfjs to `name`; returns false (with the reason printed) if it cannot initialise. */
export async function useTf(name: TfBackendName): Promise<boolean> {
  await loadTf();
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok && tf.getBackend() === name;
  } catch (e) {
    console.log(`  tfjs-backend-${name} unavailable: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
}
