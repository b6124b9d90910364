// tfjs-core's Node entry (its CommonJS bundle) ships without gradient registrations: they
// live in its ES-module build, whose extensionless imports Node cannot load. esbuild
// bundles that one file at run time; tfjs keeps its registries on globalThis, so the
// bundled copy registers into the engine the backends use.
import { createRequire } from 'node:module';
import type * as Tf from '@tensorflow/tfjs-core';
import { build } from 'esbuild';
import { overrideWasmConvFilterGradient } from './tfjs-wasm-conv-grad.js';

const require = createRequire(import.meta.url);
let registered = false;

export async function registerTfGradients(tf: typeof Tf): Promise<void> {
  if (registered) return;
  registered = true;
  const entry = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  const out = await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', write: false, logLevel: 'error' });
  await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);

  overrideWasmConvFilterGradient(tf);
}
