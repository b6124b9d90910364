// tfjs-core's Node entry (its CommonJS bundle) ships without gradient registrations: they
// live in its ES-module build, whose extensionless imports Node cannot load. esbuild
// bundles that one file at run time; tfjs keeps its registries on globalThis, so the
// bundled copy registers into the engine the backends use.
//
// tfjs-backend-wasm has no Conv2DBackpropFilter kernel; there Conv2D's filter gradient
// is computed as a forward convolution over transposed tensors (what the issue asks for).
import { createRequire } from 'node:module';
import type * as Tf from '@tensorflow/tfjs-core';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
let registered = false;

export async function registerTfGradients(tf: typeof Tf): Promise<void> {
  if (registered) return;
  registered = true;
  const entry = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  const out = await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', write: false, logLevel: 'error' });
  await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);

  const conv = tf.getGradient('Conv2D');
  if (!conv) throw new Error('tfjs: no Conv2D gradient after registering them');
  const silenced = console.warn;
  console.warn = () => {}; // tfjs warns when a gradient is overridden
  tf.registerGradient({
    ...conv,
    gradFunc: (dy, saved, attrs) => {
      if (tf.getBackend() !== 'wasm') return conv.gradFunc(dy, saved, attrs);
      const [x, filter] = saved as [Tf.Tensor4D, Tf.Tensor4D];
      const { strides, pad, dilations } = attrs as unknown as { strides: number | number[]; pad: unknown; dilations: number | number[] };
      const ones = (v: number | number[]) => (Array.isArray(v) ? v.every((s) => s === 1) : v === 1);
      if (!ones(strides) || !ones(dilations) || pad !== 'valid') {
        throw new Error('tfjs-wasm Conv2D filter gradient by forward conv: only stride 1, no dilation, valid padding');
      }
      return {
        x: () => tf.conv2dTranspose(dy as Tf.Tensor4D, filter, x.shape, 1, 'valid'),
        // dW[kh,kw,ci,co] = Σ x[n,oh+kh,ow+kw,ci]·dy[n,oh,ow,co]: a conv with ci as the batch and n as the channels
        filter: () =>
          tf.transpose(tf.conv2d(tf.transpose(x, [3, 1, 2, 0]), tf.transpose(dy as Tf.Tensor4D, [1, 2, 0, 3]), 1, 'valid'), [1, 2, 0, 3]),
      };
    },
  });
  console.warn = silenced;
}
